import Boot

/// SELF payloads: the segment table and every segment's (decompressed) data.
func fuzzSELF(_ bytes: [UInt8]) {
    guard let payload = Fuzz.expectBootError("SELFPayload", { try SELFPayload(parsing: bytes) }) else { return }
    Fuzz.check(payload.segments.last?.type == .entry, "no ENTRY at the end")
    for segment in payload.segments where segment.type == .code || segment.type == .data || segment.type == .params {
        _ = Fuzz.expectBootError("segment data") { try payload.data(of: segment, in: bytes, limit: Fuzz.extractLimit) }
    }
}

