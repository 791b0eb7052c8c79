/// coreboot's measured-boot log as its console prints it before the payload, one line per
/// event: ` PCR-2 <sha256 hex> SHA256 [FMAP: COREBOOT CBFS: fallback/romstage]`. The device's
/// own account of what it measured: untrusted, so `QuoteVerifier` uses it only when it replays
/// to the PCR value the TPM signed, and then only to say which event differs from the prediction.
public struct CorebootEventLog: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var pcr: Int
        public var digest: String
        public var name: String

        public init(pcr: Int, digest: String, name: String) {
            self.pcr = pcr
            self.digest = digest.lowercased()
            self.name = name
        }
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// The entries of console `text`, in order; other lines are skipped (a line is an entry only
    /// when it has `PCR-N`, 64 hex digits, `SHA256` and a bracketed name).
    public init(console text: String) {
        var entries: [Entry] = []
        for whole in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            // A console may put a log level or a time stamp first ("[INFO ]  PCR-2 …").
            guard let start = whole.range(of: "PCR-")?.lowerBound else { continue }
            let line = whole[start...]
            let words = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard words.count == 4, words[0].hasPrefix("PCR-"), let pcr = Int(words[0].dropFirst(4)), (0..<64).contains(pcr),
                  words[1].count == 64, words[1].allSatisfy(\.isHexDigit), words[2] == "SHA256",
                  words[3].hasPrefix("["), let close = words[3].lastIndex(of: "]") else { continue }
            let name = words[3][words[3].index(after: words[3].startIndex)..<close]
            entries.append(Entry(pcr: pcr, digest: String(words[1]), name: String(name)))
        }
        self.entries = entries
    }

    public func entries(ofPCR pcr: Int) -> [Entry] { entries.filter { $0.pcr == pcr } }
}
