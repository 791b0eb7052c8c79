/// `TPMT_SIGNATURE` (TPM 2.0 Part 2, 11.3.4) of an ECDSA key, as `tpm2_quote -s` writes it:
/// the signature algorithm, the hash it signed with, then `r` and `s` as `TPM2B_ECC_PARAMETER`s.
/// Other signature algorithms (RSASSA, RSAPSS, ECDAA, SM2, ...) are refused as `unsupported`:
/// ownerboot's attestation keys are ECDSA P-256.
public struct TPMSignature: Codable, Sendable, Equatable {
    /// `TPM_ALG_ECDSA`.
    public static let ecdsa: UInt16 = 0x0018
    /// The longest ECC parameter (`MAX_ECC_KEY_BYTES`, P-521's 66 bytes).
    public static let maximumParameter = 66

    public var algorithm: UInt16
    /// The hash the TPM signed with (`TPM_ALG_SHA256`, 0x000B, for ownerboot's keys).
    public var hash: UInt16
    public var r: [UInt8]
    public var s: [UInt8]

    public init(algorithm: UInt16 = ecdsa, hash: UInt16, r: [UInt8], s: [UInt8]) {
        self.algorithm = algorithm
        self.hash = hash
        self.r = r
        self.s = s
    }

    /// Parses a whole `TPMT_SIGNATURE`; bytes after its end are refused.
    public static func parse(_ bytes: [UInt8]) throws -> TPMSignature {
        var r = TPMReader(bytes)
        let algorithm = try r.u16("TPMT_SIGNATURE sigAlg")
        guard algorithm == ecdsa else {
            throw BootError.unsupported(what: "TPMT_SIGNATURE", offset: 0, reason: "signature algorithm 0x\(String(algorithm, radix: 16)) (only ECDSA, 0x0018, is read)")
        }
        let hash = try r.u16("TPMS_SIGNATURE_ECDSA hash")
        let rValue = try r.sized("TPMS_SIGNATURE_ECDSA signatureR", maximum: maximumParameter)
        let sValue = try r.sized("TPMS_SIGNATURE_ECDSA signatureS", maximum: maximumParameter)
        try r.requireEnd("TPMT_SIGNATURE")
        return TPMSignature(algorithm: algorithm, hash: hash, r: rValue, s: sValue)
    }

    /// `r ‖ s`, each left-padded with zeros to `size` bytes (the raw form swift-crypto's
    /// `P256.Signing.ECDSASignature(rawRepresentation:)` takes, size 32); nil when one is
    /// longer than `size` without its leading zeros.
    public func raw(size: Int) -> [UInt8]? {
        func padded(_ v: [UInt8]) -> [UInt8]? {
            let trimmed = Array(v.drop { $0 == 0 })
            guard trimmed.count <= size else { return nil }
            return [UInt8](repeating: 0, count: size - trimmed.count) + trimmed
        }
        guard let r = padded(r), let s = padded(s) else { return nil }
        return r + s
    }

    /// The bytes of this signature as a TPM writes them.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE(algorithm)
        out.appendBE(hash)
        out.appendBE(UInt16(truncatingIfNeeded: r.count))
        out += r
        out.appendBE(UInt16(truncatingIfNeeded: s.count))
        out += s
        return out
    }
}
