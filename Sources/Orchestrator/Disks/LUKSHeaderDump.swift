import Foundation
import Support

/// What `cryptsetup luksDump` prints about a LUKS2 container, read from its text as cryptsetup
/// 2.6 lays it out: each key slot's salt (which the token tags' MAC covers, so a tag does not
/// carry over to a later key slot of the same number), and, from a `--dump-volume-key` run, the
/// volume key ("MK dump:"). The unlocker reads the same text (ob-unlock's derive.c).
public struct LUKSHeaderDump: Sendable, Equatable {
    /// Key slot number → its salt, lowercase hex without spaces.
    public var salts: [Int: String]

    public init(text: String) {
        var salts: [Int: String] = [:]
        var slot: Int?, inKeyslots = false, inSalt = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") { inKeyslots = line.hasPrefix("Keyslots:"); slot = nil; inSalt = false; continue }
            guard inKeyslots else { continue }
            if line.hasPrefix("  "), let colon = line.firstIndex(of: ":"), let number = Int(line[..<colon].trimmingCharacters(in: .whitespaces)) {
                slot = number
                inSalt = false
                continue
            }
            guard let slot, line.hasPrefix("\t") else { continue }
            let body = line.dropFirst()
            var digits: Substring?
            if body.hasPrefix("Salt:") { inSalt = true; digits = body.dropFirst(5) } else if inSalt && body.hasPrefix(" ") { digits = body } else { inSalt = false }
            if let digits { salts[slot, default: ""] += digits.filter { !$0.isWhitespace }.lowercased() }
        }
        self.salts = salts
    }

    /// The volume key from `cryptsetup luksDump --dump-volume-key` (its "MK dump:" lines), or nil.
    public static func volumeKey(fromDump text: String) -> [UInt8]? {
        var hex = "", inKey = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("MK dump:") { inKey = true; hex += line.dropFirst(8).filter { !$0.isWhitespace }; continue }
            if inKey && (line.hasPrefix("\t") || line.hasPrefix(" ")) { hex += line.filter { !$0.isWhitespace }; continue }
            inKey = false
        }
        guard !hex.isEmpty, hex.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }

    /// Reads `container`'s header (a LUKS2 file).
    public static func read(_ container: URL, runner: ProcessRunner) throws -> LUKSHeaderDump {
        let dump = try runner.run("cryptsetup", ["luksDump", container.path])
        guard dump.succeeded else { throw DiskError.cryptsetupFailed(step: "read the header of", output: dump.stderrText) }
        return LUKSHeaderDump(text: dump.stdoutText)
    }

    /// `container`'s volume key, which `passphrase` (on standard input) opens; it stays in this
    /// process's memory (cryptsetup prints it to a pipe, never to a file or a log).
    public static func volumeKey(of container: URL, passphrase: Data, runner: ProcessRunner) throws -> [UInt8] {
        let dump = try runner.run("cryptsetup", ["luksDump", "--dump-volume-key", "--batch-mode", "--key-file", "-", container.path], stdin: passphrase)
        guard dump.succeeded, let key = volumeKey(fromDump: dump.stdoutText) else {
            throw DiskError.cryptsetupFailed(step: "take the volume key (with the passphrase) out of", output: dump.stderrText)
        }
        return key
    }
}
