import Support

/// Why a recorded attestation key cannot be used to verify quotes: the inventory's (or the
/// enrolment's) problem, not the device's answer, so it is thrown, not a verdict.
public enum AttestationKeyError: UserFacingError, Equatable {
    case unreadable(String)
    case unsuitable(String)

    public var message: String {
        switch self {
        case .unreadable(let reason): return "the attestation key is not a TPM2B_PUBLIC of an ECC key: \(reason)"
        case .unsuitable(let reason): return "the key is not an attestation key: \(reason)"
        }
    }

    public var fix: String? {
        "enrol the device again: its AK must be made by `tpm2_createak -G ecc -g sha256 -s ecdsa` (restricted, sign, fixedTPM) and recorded from its `-u` output"
    }
}
