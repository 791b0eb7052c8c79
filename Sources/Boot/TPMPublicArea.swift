import Support

/// `TPM2B_PUBLIC` of an ECC key (TPM 2.0 Part 2, 12.2.5), as `tpm2_createak -u` and
/// `tpm2_create -u` write it: enough of it to check what kind of key it is, get the point
/// (`x`, `y`) for swift-crypto, and compute the key's TPM name, which is what credential
/// activation binds to the EK. RSA and other key types are refused as `unsupported`.
public struct TPMPublicArea: Codable, Sendable, Equatable {
    /// `TPM_ALG_ECC`.
    public static let ecc: UInt16 = 0x0023
    /// `TPM_ALG_NULL`: no symmetric algorithm, scheme or KDF.
    public static let null: UInt16 = 0x0010
    /// `TPM_ALG_ECDAA`, whose scheme carries a count after its hash.
    static let ecdaa: UInt16 = 0x001A
    /// `TPM_ECC_NIST_P256`.
    public static let nistP256: UInt16 = 0x0003
    /// The largest `TPMT_PUBLIC` accepted (an ECC one is about 90 bytes; an RSA-4096 key
    /// with a policy fits in 600).
    public static let maximumSize = 1024

    /// `TPMA_OBJECT` bits a verifier cares about.
    public struct Attributes: OptionSet, Codable, Sendable, Equatable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        public static let fixedTPM = Attributes(rawValue: 1 << 1)
        public static let fixedParent = Attributes(rawValue: 1 << 4)
        public static let sensitiveDataOrigin = Attributes(rawValue: 1 << 5)
        public static let userWithAuth = Attributes(rawValue: 1 << 6)
        /// Signs only digests the TPM made itself (or outside data that does not start with
        /// `TPM_GENERATED_VALUE`): what makes its signature on a `TPMS_ATTEST` mean the TPM's.
        public static let restricted = Attributes(rawValue: 1 << 16)
        public static let decrypt = Attributes(rawValue: 1 << 17)
        public static let sign = Attributes(rawValue: 1 << 18)
        /// What an attestation key has: never leaves its TPM, made inside it, restricted, signs.
        public static let attestationKey: Attributes = [.fixedTPM, .sensitiveDataOrigin, .restricted, .sign]
    }

    public var nameAlgorithm: UInt16
    public var attributes: Attributes
    public var authPolicy: [UInt8]
    /// The symmetric algorithm (`TPM_ALG_NULL` for a signing key).
    public var symmetric: UInt16
    /// The signing scheme and its hash (`TPM_ALG_ECDSA` and `TPM_ALG_SHA256` for an AK;
    /// hash 0 when the scheme is NULL).
    public var scheme: UInt16
    public var schemeHash: UInt16
    public var curve: UInt16
    public var kdf: UInt16
    public var x: [UInt8]
    public var y: [UInt8]
    /// The `TPMT_PUBLIC` bytes (without the 2-byte size): what the name hashes.
    public var publicArea: [UInt8]

    /// Parses a whole `TPM2B_PUBLIC` (size, then a `TPMT_PUBLIC` of exactly that size).
    public static func parse(_ bytes: [UInt8]) throws -> TPMPublicArea {
        var outer = TPMReader(bytes)
        let area = try outer.sized("TPM2B_PUBLIC", maximum: maximumSize)
        try outer.requireEnd("TPM2B_PUBLIC")
        var r = TPMReader(bytes, at: 2)
        let type = try r.u16("TPMT_PUBLIC type")
        guard type == ecc else {
            throw BootError.unsupported(what: "TPMT_PUBLIC", offset: 2, reason: "key type 0x\(String(type, radix: 16)) (only ECC keys, 0x0023, are read)")
        }
        let nameAlg = try r.u16("TPMT_PUBLIC nameAlg")
        let attributes = Attributes(rawValue: try r.u32("TPMT_PUBLIC objectAttributes"))
        let policy = try r.sized("TPMT_PUBLIC authPolicy", maximum: TPMAttest.maximumDigest)
        let symmetric = try r.u16("TPMT_SYM_DEF_OBJECT algorithm")
        if symmetric != null {
            _ = try r.u16("TPMT_SYM_DEF_OBJECT keyBits")
            _ = try r.u16("TPMT_SYM_DEF_OBJECT mode")
        }
        let scheme = try r.u16("TPMT_ECC_SCHEME scheme")
        var schemeHash: UInt16 = 0
        if scheme != null {
            schemeHash = try r.u16("TPMT_ECC_SCHEME hashAlg")
            if scheme == ecdaa { _ = try r.u16("TPMS_SCHEME_ECDAA count") }
        }
        let curve = try r.u16("TPMS_ECC_PARMS curveID")
        let kdf = try r.u16("TPMT_KDF_SCHEME scheme")
        if kdf != null { _ = try r.u16("TPMT_KDF_SCHEME hashAlg") }
        let x = try r.sized("TPMS_ECC_POINT x", maximum: TPMSignature.maximumParameter)
        let y = try r.sized("TPMS_ECC_POINT y", maximum: TPMSignature.maximumParameter)
        // The TPMT_PUBLIC ends exactly where TPM2B_PUBLIC's size says.
        guard r.offset == 2 + area.count else {
            throw BootError.malformed(what: "TPM2B_PUBLIC", offset: 0, reason: "its size says \(area.count) bytes, the ECC key in it has \(r.offset - 2)")
        }
        return TPMPublicArea(nameAlgorithm: nameAlg, attributes: attributes, authPolicy: policy, symmetric: symmetric,
                             scheme: scheme, schemeHash: schemeHash, curve: curve, kdf: kdf, x: x, y: y, publicArea: area)
    }

    /// The key's TPM name: `nameAlg ‖ H_nameAlg(TPMT_PUBLIC)`; nil unless nameAlg is SHA-256
    /// (the only one computed here; every key tpm2-tools makes by default uses it).
    public var name: [UInt8]? {
        guard nameAlgorithm == TPMPCRSelection.sha256 else { return nil }
        var out: [UInt8] = []
        out.appendBE(nameAlgorithm)
        return out + SHA256Digest.bytes(publicArea)
    }

    /// The point in SEC 1 uncompressed form (`0x04 ‖ x ‖ y`, each coordinate left-padded to
    /// `size` bytes: 32 for P-256), as swift-crypto's `x963Representation` takes it; nil when a
    /// coordinate is longer than `size` without its leading zeros.
    public func uncompressedPoint(size: Int) -> [UInt8]? {
        func padded(_ v: [UInt8]) -> [UInt8]? {
            let trimmed = Array(v.drop { $0 == 0 })
            guard trimmed.count <= size else { return nil }
            return [UInt8](repeating: 0, count: size - trimmed.count) + trimmed
        }
        guard let px = padded(x), let py = padded(y) else { return nil }
        return [0x04] + px + py
    }
}
