/// `TPML_PCR_SELECTION` (TPM 2.0 Part 2, 10.9.7): which PCRs of which banks a quote covers.
/// Each bank is a hash algorithm and a bitmap (`pcrSelect`, PCR n is bit n % 8 of byte n / 8).
/// The TPM digests the selected PCRs bank by bank, in this order, and each bank's PCRs in
/// ascending order: `pcrs` lists them that way.
public struct TPMPCRSelection: Codable, Sendable, Equatable {
    public struct Bank: Codable, Sendable, Equatable {
        /// The bank's hash algorithm (`TPM_ALG_ID`: 0x000B SHA-256, 0x0004 SHA-1, ...).
        public var hash: UInt16
        /// The bitmap's length in bytes (3 for a TPM with 24 PCRs).
        public var sizeOfSelect: Int
        /// The selected PCR indices, ascending.
        public var pcrs: [Int]

        public init(hash: UInt16, pcrs: [Int], sizeOfSelect: Int = 3) {
            self.hash = hash
            self.pcrs = pcrs.sorted()
            self.sizeOfSelect = sizeOfSelect
        }
    }

    public var banks: [Bank]

    public init(banks: [Bank]) { self.banks = banks }

    /// `TPM_ALG_SHA256`.
    public static let sha256: UInt16 = 0x000B
    /// The most banks one selection may name (`HASH_COUNT` is at most a handful on real TPMs).
    public static let maximumBanks = 16
    /// The longest bitmap accepted (256 PCRs; real TPMs have 24, `PCR_SELECT_MAX` = 3).
    public static let maximumSelectBytes = 32

    /// Every PCR the selection covers, bank by bank in its order: the order of the values
    /// the quote's `pcrDigest` is computed over.
    public var ordered: [(hash: UInt16, pcr: Int)] { banks.flatMap { bank in bank.pcrs.map { (bank.hash, $0) } } }

    /// The PCRs selected in the bank of `hash` (empty when the selection has no such bank).
    public func pcrs(inBank hash: UInt16) -> [Int] { banks.filter { $0.hash == hash }.flatMap(\.pcrs) }

    /// Parses the selection that starts at `offset` of `bytes`; returns it and the offset of
    /// the first byte after it.
    public static func parse(_ bytes: [UInt8], at offset: Int = 0) throws -> (TPMPCRSelection, next: Int) {
        var r = TPMReader(bytes, at: offset)
        let selection = try read(&r)
        return (selection, r.offset)
    }

    static func read(_ r: inout TPMReader) throws -> TPMPCRSelection {
        let at = r.offset
        let count = try r.u32("TPML_PCR_SELECTION count")
        guard count <= maximumBanks else {
            throw BootError.malformed(what: "TPML_PCR_SELECTION", offset: at, reason: "\(count) banks (at most \(maximumBanks) are accepted)")
        }
        var banks: [Bank] = []
        for _ in 0..<Int(count) {
            let hash = try r.u16("TPMS_PCR_SELECTION hash")
            let sizeAt = r.offset
            let size = Int(try r.u8("TPMS_PCR_SELECTION sizeofSelect"))
            guard size <= maximumSelectBytes else {
                throw BootError.malformed(what: "TPMS_PCR_SELECTION", offset: sizeAt, reason: "sizeofSelect \(size) (at most \(maximumSelectBytes) bytes are accepted)")
            }
            let map = try r.bytes("TPMS_PCR_SELECTION pcrSelect", count: size)
            var pcrs: [Int] = []
            for (i, byte) in map.enumerated() {
                for bit in 0..<8 where byte & (1 << bit) != 0 { pcrs.append(i * 8 + bit) }
            }
            banks.append(Bank(hash: hash, pcrs: pcrs, sizeOfSelect: size))
        }
        return TPMPCRSelection(banks: banks)
    }

    /// The bytes of this selection, as a TPM writes them. A PCR beyond a bank's bitmap is
    /// left out (it could not have been parsed from one either).
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE(UInt32(truncatingIfNeeded: banks.count))
        for bank in banks {
            out.appendBE(bank.hash)
            let size = max(0, min(bank.sizeOfSelect, 255))
            out.append(UInt8(size))
            var map = [UInt8](repeating: 0, count: size)
            for pcr in bank.pcrs where pcr >= 0 && pcr / 8 < size { map[pcr / 8] |= 1 << (pcr % 8) }
            out += map
        }
        return out
    }
}
