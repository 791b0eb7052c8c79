/// What one quote shows, checked in this order: the signature, the structure, the nonce, the
/// PCR values against the signed digest, then the values against the prediction.
public enum QuoteVerdict: Sendable, Equatable {
    /// Every PCR the prediction covers has its predicted value for boot path `path`
    /// ("fallback" or "normal"): the device runs that half of that generation's ROM.
    case matches(path: String)
    /// Signed, fresh and consistent, but a PCR is not what any boot path predicts.
    case mismatch(PCRMismatch)
    /// The AK did not sign these bytes (or the signature is not ECDSA P-256 over SHA-256).
    case badSignature(reason: String)
    /// The quote answers another nonce: an old quote replayed, or one made for someone else.
    case wrongNonce(expected: String, found: String)
    /// Signed by the AK, but not a `TPMS_ATTEST` of a quote.
    case notAQuote(reason: String)
    /// The PCR values returned are not the ones the TPM signed (their SHA-256 is not the
    /// quote's pcrDigest, or they do not fit its selection).
    case valuesNotQuoted(reason: String)
    /// The quote does not select PCRs the prediction covers (SHA-256 bank).
    case selectionMissing(pcrs: [Int])

    /// One line for a person.
    public var summary: String {
        switch self {
        case .matches(let path): return "matches the prediction (\(path) path)"
        case .mismatch(let m): return m.detail
        case .badSignature(let reason): return "bad signature: \(reason)"
        case .wrongNonce(let expected, let found): return "wrong nonce: the quote answers \(found), not \(expected) (a replayed or foreign quote)"
        case .notAQuote(let reason): return "not a quote: \(reason)"
        case .valuesNotQuoted(let reason): return "the PCR values returned are not the quoted ones: \(reason)"
        case .selectionMissing(let pcrs): return "the quote does not cover PCR \(pcrs.map(String.init).joined(separator: ", ")) (SHA-256 bank), which the prediction does"
        }
    }

    public var isMatch: Bool { if case .matches = self { return true } else { return false } }
}
