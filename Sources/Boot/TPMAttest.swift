/// `TPMS_ATTEST` (TPM 2.0 Part 2, 10.12.12) of a quote: what the TPM signs when asked for
/// `TPM2_Quote`, as `tpm2_quote -m` writes it. Parsed from untrusted bytes (a device's reply):
/// bounded sizes, checked offsets, a typed `BootError` naming the offset for anything else.
/// Only quotes are read (type `TPM_ST_ATTEST_QUOTE`): another attestation type (certify,
/// time, ...) is refused as `unsupported`, a wrong magic as `badMagic`.
///
/// Parsing checks the form only. Whether the TPM signed these bytes, and with which key, is
/// the verifier's question (`TPMSignature` over SHA-256 of exactly these bytes).
public struct TPMAttest: Codable, Sendable, Equatable {
    /// `TPMS_CLOCK_INFO`. `resetCount` grows at every TPM reset (power cycle, reboot),
    /// `restartCount` at every resume from suspend-to-RAM; `clock` counts milliseconds the TPM
    /// has been powered. A key outside the endorsement and platform hierarchies gets
    /// `resetCount`, `restartCount` and `firmwareVersion` obfuscated: offset by a constant of
    /// that key's (Part 1, 36.8), so they still compare between quotes by the same key.
    public struct ClockInfo: Codable, Sendable, Equatable {
        public var clock: UInt64
        public var resetCount: UInt32
        public var restartCount: UInt32
        /// Whether `clock` has not gone backwards since it was last reported (YES = 1).
        public var safe: Bool
    }

    /// `TPM_GENERATED_VALUE`: the TPM starts every structure it signs with it (and a restricted
    /// key refuses to sign outside data that does), so a signed message with it is the TPM's.
    public static let magic: UInt32 = 0xFF54_4347
    /// `TPM_ST_ATTEST_QUOTE`.
    public static let quoteType: UInt16 = 0x8018
    /// The longest `TPM2B_NAME` (a 2-byte algorithm and a 64-byte digest).
    public static let maximumName = 66
    /// The longest `TPM2B_DATA` (`sizeof(TPMT_HA)`): the nonce a quote carries.
    public static let maximumExtraData = 66
    /// The longest `TPM2B_DIGEST`.
    public static let maximumDigest = 64

    public var type: UInt16
    /// The qualified name of the signing key.
    public var qualifiedSigner: [UInt8]
    /// The caller's qualifying data: the verifier's nonce.
    public var extraData: [UInt8]
    public var clockInfo: ClockInfo
    public var firmwareVersion: UInt64
    /// `TPMS_QUOTE_INFO`: the PCRs quoted and the digest of their values.
    public var pcrSelection: TPMPCRSelection
    public var pcrDigest: [UInt8]

    /// Parses a whole `TPMS_ATTEST`; bytes after its end are refused.
    public static func parse(_ bytes: [UInt8]) throws -> TPMAttest {
        var r = TPMReader(bytes)
        let found = try r.u32("TPMS_ATTEST magic")
        guard found == magic else {
            throw BootError.badMagic(what: "TPMS_ATTEST", offset: 0, found: "0x" + String(found, radix: 16))
        }
        let type = try r.u16("TPMS_ATTEST type")
        guard type == quoteType else {
            throw BootError.unsupported(what: "TPMS_ATTEST", offset: 4, reason: "type 0x\(String(type, radix: 16)) is not a quote (TPM_ST_ATTEST_QUOTE, 0x8018)")
        }
        let signer = try r.sized("TPMS_ATTEST qualifiedSigner", maximum: maximumName)
        let extra = try r.sized("TPMS_ATTEST extraData", maximum: maximumExtraData)
        let clock = try r.u64("TPMS_CLOCK_INFO clock")
        let resets = try r.u32("TPMS_CLOCK_INFO resetCount")
        let restarts = try r.u32("TPMS_CLOCK_INFO restartCount")
        let safeAt = r.offset
        let safe = try r.u8("TPMS_CLOCK_INFO safe")
        guard safe <= 1 else {
            throw BootError.malformed(what: "TPMS_CLOCK_INFO safe", offset: safeAt, reason: "\(safe) is not a TPMI_YES_NO")
        }
        let firmware = try r.u64("TPMS_ATTEST firmwareVersion")
        let selection = try TPMPCRSelection.read(&r)
        let digest = try r.sized("TPMS_QUOTE_INFO pcrDigest", maximum: maximumDigest)
        try r.requireEnd("TPMS_ATTEST")
        return TPMAttest(type: type, qualifiedSigner: signer, extraData: extra,
                         clockInfo: ClockInfo(clock: clock, resetCount: resets, restartCount: restarts, safe: safe == 1),
                         firmwareVersion: firmware, pcrSelection: selection, pcrDigest: digest)
    }

    /// The bytes of this structure as a TPM writes them (`parse(serialize())` gives it back).
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE(Self.magic)
        out.appendBE(type)
        out.appendBE(UInt16(truncatingIfNeeded: qualifiedSigner.count))
        out += qualifiedSigner
        out.appendBE(UInt16(truncatingIfNeeded: extraData.count))
        out += extraData
        out.appendBE(clockInfo.clock)
        out.appendBE(clockInfo.resetCount)
        out.appendBE(clockInfo.restartCount)
        out.append(clockInfo.safe ? 1 : 0)
        out.appendBE(firmwareVersion)
        out += pcrSelection.serialize()
        out.appendBE(UInt16(truncatingIfNeeded: pcrDigest.count))
        out += pcrDigest
        return out
    }
}
