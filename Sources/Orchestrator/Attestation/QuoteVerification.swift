import Boot

/// The result of checking one quote: the verdict, and what the quote says beside it for the
/// inventory to record (the TPM's clock, whether it reset since the last attestation, the
/// values of PCRs no prediction covers).
public struct QuoteVerification: Sendable, Equatable {
    public var verdict: QuoteVerdict
    /// The quote's clock info; nil when the quote was not read (bad signature, not a quote).
    public var clockInfo: TPMAttest.ClockInfo?
    /// Whether the TPM was reset (rebooted) since the previous attestation by the same AK:
    /// nil when there was none, or the quote was not read. (Under an AK outside the endorsement
    /// hierarchy the TPM offsets resetCount by a constant of the key; a change still shows.)
    public var resetSincePrevious: Bool?
    /// Whether it resumed from suspend since then (restartCount), under the same terms.
    public var restartedSincePrevious: Bool?
    /// The signed SHA-256 values of every selected PCR (index → lowercase hex), once the values
    /// were checked against the signed digest; empty otherwise.
    public var quotedPCRs: [Int: String]
    /// Selected PCRs no prediction covers (their values are in `quotedPCRs`, not judged).
    public var unpredictedPCRs: [Int]

    public init(verdict: QuoteVerdict, clockInfo: TPMAttest.ClockInfo? = nil, resetSincePrevious: Bool? = nil,
                restartedSincePrevious: Bool? = nil, quotedPCRs: [Int: String] = [:], unpredictedPCRs: [Int] = []) {
        self.verdict = verdict
        self.clockInfo = clockInfo
        self.resetSincePrevious = resetSincePrevious
        self.restartedSincePrevious = restartedSincePrevious
        self.quotedPCRs = quotedPCRs
        self.unpredictedPCRs = unpredictedPCRs
    }
}
