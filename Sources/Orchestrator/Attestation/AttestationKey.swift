import Boot
import Crypto

/// A device's attestation key (AK) as the verifier holds it: the `TPM2B_PUBLIC` recorded at
/// enrolment (`tpm2_createak -u`), checked to be what an AK must be before any quote is read
/// with it: an ECC P-256 key that never leaves its TPM, was made inside it, is restricted (it
/// signs only what the TPM itself generates, so a `TPMS_ATTEST` it signed is the TPM's, not
/// forged by the OS) and signs with ECDSA over SHA-256.
public struct AttestationKey: Sendable {
    public let area: TPMPublicArea
    /// The point in SEC 1 uncompressed form (checked to be on P-256 at init).
    public let point: [UInt8]
    /// The TPM name (`0x000B ‖ SHA-256(TPMT_PUBLIC)`): what credential activation ties to the EK.
    public let name: [UInt8]

    /// `tpm2bPublic`: the bytes `tpm2_createak -u` / `tpm2_create -u` wrote.
    public init(tpm2bPublic bytes: [UInt8]) throws {
        let area: TPMPublicArea
        do { area = try TPMPublicArea.parse(bytes) } catch let error as BootError {
            throw AttestationKeyError.unreadable(error.message)
        }
        guard area.curve == TPMPublicArea.nistP256 else { throw AttestationKeyError.unsuitable("its curve is 0x\(String(area.curve, radix: 16)), not NIST P-256 (0x0003)") }
        let missing = TPMPublicArea.Attributes.attestationKey.subtracting(area.attributes)
        guard missing.isEmpty else {
            throw AttestationKeyError.unsuitable("its attributes 0x\(String(area.attributes.rawValue, radix: 16)) lack fixedTPM, sensitiveDataOrigin, restricted or sign (0x\(String(missing.rawValue, radix: 16)) missing): such a key could sign a forged quote")
        }
        guard area.attributes.isDisjoint(with: .decrypt) else { throw AttestationKeyError.unsuitable("it is a decryption key too") }
        guard area.scheme == TPMPublicArea.null || (area.scheme == TPMSignature.ecdsa && area.schemeHash == TPMPCRSelection.sha256) else {
            throw AttestationKeyError.unsuitable("its signing scheme 0x\(String(area.scheme, radix: 16)) with hash 0x\(String(area.schemeHash, radix: 16)) is not ECDSA with SHA-256")
        }
        guard let name = area.name else { throw AttestationKeyError.unsuitable("its name algorithm 0x\(String(area.nameAlgorithm, radix: 16)) is not SHA-256") }
        guard let point = area.uncompressedPoint(size: 32), let key = try? P256.Signing.PublicKey(x963Representation: point) else {
            throw AttestationKeyError.unsuitable("its point is not on P-256")
        }
        _ = key
        self.area = area
        self.point = point
        self.name = name
    }

    /// The key as swift-crypto verifies with it.
    public var publicKey: P256.Signing.PublicKey {
        // The point was accepted by the same initializer in init.
        try! P256.Signing.PublicKey(x963Representation: point)
    }

    /// The name in hex, as `tpm2_createak -n` writes it (binary) and `xxd -p` shows it.
    public var nameHex: String { QuoteVerifier.hex(name) }
}
