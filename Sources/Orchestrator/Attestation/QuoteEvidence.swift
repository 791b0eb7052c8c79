/// What a device returns for one attestation, as tpm2-tools writes it:
/// `tpm2_quote -c AK -l sha256:0,…,7 -q NONCE -m attest -s signature -o pcrs --pcrs_format values`.
/// All of it is untrusted until `QuoteVerifier` has checked it.
public struct QuoteEvidence: Sendable, Equatable {
    /// The `TPMS_ATTEST` bytes the TPM signed (`-m`).
    public var attest: [UInt8]
    /// The `TPMT_SIGNATURE` (`-s`).
    public var signature: [UInt8]
    /// The selected PCRs' values, concatenated in the quote's selection order, each as long as
    /// its bank's digest (`-o … --pcrs_format values`).
    public var pcrValues: [UInt8]

    public init(attest: [UInt8], signature: [UInt8], pcrValues: [UInt8]) {
        self.attest = attest
        self.signature = signature
        self.pcrValues = pcrValues
    }
}
