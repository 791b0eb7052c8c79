import Boot

/// The decoders behind CBFS files, SELF segments and initramfs archives. The first byte picks
/// the format (and whether an expected size is given); the rest is the stream.
func fuzzDecompress(_ input: [UInt8]) {
    guard let selector = input.first else { return }
    let stream = Array(input.dropFirst())
    let expected: Int? = selector & 0x80 != 0 ? Int(selector & 0x70) << 10 : nil
    let limit = Fuzz.extractLimit
    let out = Fuzz.expectBootError("decompress \(selector & 7)") { () throws -> [UInt8] in
        switch selector & 7 {
        case 0: return try Decompression.lzmaAlone(stream, expectedSize: expected, limit: limit)
        case 1: return try Decompression.lz4Frame(stream, expectedSize: expected, limit: limit)
        case 2: return try Decompression.gzip(stream, limit: limit)
        case 3: return try Decompression.zstd(stream, limit: limit)
        default: return try Decompression.xz(stream, limit: limit)
        }
    }
    if let out {
        Fuzz.check(out.count <= limit, "output over the limit")
        if let expected, selector & 7 < 2 { Fuzz.check(out.count == expected, "size differs from the expected size") }
    }
}

