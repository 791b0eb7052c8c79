import Boot

/// The TPM 2.0 structures of a quote, as a device returns them: every input is read as a
/// `TPMS_ATTEST`, a `TPMT_SIGNATURE`, a `TPM2B_PUBLIC` and a `TPML_PCR_SELECTION`. What parses
/// must serialize back to the same bytes (attest, signature, selection) or keep its public
/// area intact (public key), and never yield more PCRs than its bitmaps hold.
func fuzzTPMQuote(_ bytes: [UInt8]) {
    if let attest = Fuzz.expectBootError("TPMAttest.parse", { try TPMAttest.parse(bytes) }) {
        Fuzz.check(attest.serialize() == bytes, "TPMS_ATTEST does not serialize to the bytes it was parsed from")
        Fuzz.check(attest.extraData.count <= TPMAttest.maximumExtraData && attest.pcrDigest.count <= TPMAttest.maximumDigest, "a TPM2B longer than its bound")
    }
    if let signature = Fuzz.expectBootError("TPMSignature.parse", { try TPMSignature.parse(bytes) }) {
        Fuzz.check(signature.serialize() == bytes, "TPMT_SIGNATURE does not serialize to the bytes it was parsed from")
        if let raw = signature.raw(size: 32) { Fuzz.check(raw.count == 64, "raw r‖s is not 64 bytes") }
    }
    if let key = Fuzz.expectBootError("TPMPublicArea.parse", { try TPMPublicArea.parse(bytes) }) {
        Fuzz.check(Array(bytes.dropFirst(2)) == key.publicArea, "the public area is not the bytes after the size")
        Fuzz.check(key.name.map { $0.count == 34 } ?? true, "a SHA-256 name is not 34 bytes")
        if let point = key.uncompressedPoint(size: 32) { Fuzz.check(point.count == 65, "an uncompressed P-256 point is not 65 bytes") }
    }
    if let (selection, next) = Fuzz.expectBootError("TPMPCRSelection.parse", { try TPMPCRSelection.parse(bytes) }) {
        Fuzz.check(next <= bytes.count && selection.serialize() == Array(bytes.prefix(next)), "TPML_PCR_SELECTION does not serialize to its bytes")
        Fuzz.check(selection.banks.allSatisfy { bank in bank.pcrs.allSatisfy { $0 < bank.sizeOfSelect * 8 } }, "a PCR beyond its bitmap")
    }
}
