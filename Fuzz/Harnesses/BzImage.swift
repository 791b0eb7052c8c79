import Boot

/// The bzImage setup header and the search for a kernel release string.
func fuzzBzImage(_ bytes: [UInt8]) {
    if let header = Fuzz.expectBootError("BzImageHeader", { try BzImageHeader(parsing: bytes) }) {
        _ = header.protocolString
    }
    _ = BzImageHeader.findVersionString(in: bytes)
}

