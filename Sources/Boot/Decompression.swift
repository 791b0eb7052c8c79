import CLZ4
import CLZMA
import CZlib
import CZstd

/// Decoders for the compressed data found in coreboot images and initramfs archives, through
/// the system libraries (liblzma, liblz4, zlib, libzstd). Each caps its output at `limit` bytes
/// and turns every library error into `BootError.decompression` naming the offset, so a
/// hostile size field or stream can neither exhaust memory nor crash.
public enum Decompression {
    /// What liblzma may allocate for one stream, above all the dictionary a header asks for: a
    /// hostile 4 GiB dictionary fails with a typed error instead of allocating. cbfstool's
    /// dictionaries are about the input's size; `xz -9` needs 65 MiB.
    public static let lzmaMemoryLimit: UInt64 = 128 << 20

    /// Why a stream was cut off at `limit` (one wording, so a budget can recognise it).
    static func limitReason(_ limit: Int) -> String { "output exceeds \(limit) bytes" }

    /// Output is produced this many bytes at a time (a size field never sizes a buffer: the
    /// output array reserves at most `limit` and grows as real bytes arrive).
    static let chunkSize = 1 << 16

    /// coreboot's LZMA: the 13-byte "lzma alone" header (properties, dictionary, size) + stream.
    /// With `prefix`, decoding stops after that many bytes (a header check needs no more).
    public static func lzmaAlone(_ data: [UInt8], expectedSize: Int?, limit: Int = 512 << 20, offset: Int = 0, prefix: Int? = nil) throws -> [UInt8] {
        var stream = lzma_stream()
        guard lzma_alone_decoder(&stream, lzmaMemoryLimit) == LZMA_OK else {
            throw BootError.decompression(what: "LZMA data", offset: offset, reason: "decoder initialisation failed")
        }
        defer { lzma_end(&stream) }
        return try runLZMA(&stream, data, expectedSize: expectedSize, limit: limit, offset: offset, what: "LZMA data", prefix: prefix)
    }

    /// An .xz stream (any check).
    public static func xz(_ data: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        var stream = lzma_stream()
        guard lzma_stream_decoder(&stream, lzmaMemoryLimit, 0) == LZMA_OK else {
            throw BootError.decompression(what: "xz data", offset: 0, reason: "decoder initialisation failed")
        }
        defer { lzma_end(&stream) }
        return try runLZMA(&stream, data, expectedSize: nil, limit: limit, offset: 0, what: "xz data", prefix: nil)
    }

    static func runLZMA(_ stream: inout lzma_stream, _ data: [UInt8], expectedSize: Int?, limit: Int, offset: Int, what: String, prefix: Int?) throws -> [UInt8] {
        var out: [UInt8] = []
        var cut = false
        out.reserveCapacity(min(max(expectedSize ?? 0, 0), limit, 64 << 20))
        var chunk = [UInt8](repeating: 0, count: max(0, min(limit, chunkSize - 1)) + 1)
        let status: lzma_ret = data.withUnsafeBufferPointer { input in
            stream.next_in = input.baseAddress
            stream.avail_in = input.count
            while true {
                let (ret, produced): (lzma_ret, Int) = chunk.withUnsafeMutableBufferPointer { buf in
                    stream.next_out = buf.baseAddress
                    stream.avail_out = buf.count
                    let r = lzma_code(&stream, LZMA_FINISH)
                    return (r, buf.count - stream.avail_out)
                }
                out += chunk[0..<produced]
                if let prefix, out.count >= prefix { cut = true; return LZMA_STREAM_END }
                if out.count > limit { return LZMA_MEMLIMIT_ERROR }
                if ret == LZMA_STREAM_END { return ret }
                if ret != LZMA_OK { return ret }
                if produced == 0 && stream.avail_in == 0 { return LZMA_BUF_ERROR }
            }
        }
        guard status == LZMA_STREAM_END else {
            let reason: String
            switch status {
            case LZMA_MEMLIMIT_ERROR where out.count > limit: reason = limitReason(limit)
            case LZMA_MEMLIMIT_ERROR: reason = "its dictionary needs more than \(lzmaMemoryLimit >> 20) MiB"
            default: reason = "liblzma error \(status.rawValue)"
            }
            throw BootError.decompression(what: what, offset: offset, reason: reason)
        }
        if cut, let prefix { return Array(out.prefix(prefix)) }
        if let expectedSize, out.count != expectedSize {
            throw BootError.decompression(what: what, offset: offset, reason: "gave \(out.count) bytes, expected \(expectedSize)")
        }
        return out
    }

    /// An LZ4 frame (magic 0x184D2204), as coreboot's cbfstool writes for `-c lz4`.
    /// With `prefix`, decoding stops after that many bytes.
    public static func lz4Frame(_ data: [UInt8], expectedSize: Int?, limit: Int = 512 << 20, offset: Int = 0, prefix: Int? = nil) throws -> [UInt8] {
        var ctx: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))) == 0, let ctx else {
            throw BootError.decompression(what: "LZ4 data", offset: offset, reason: "decoder initialisation failed")
        }
        defer { LZ4F_freeDecompressionContext(ctx) }
        var out: [UInt8] = []
        out.reserveCapacity(min(max(expectedSize ?? 0, 0), limit, 64 << 20))
        var chunk = [UInt8](repeating: 0, count: max(0, min(limit, chunkSize - 1)) + 1)
        var consumed = 0
        var finished = false
        while !finished {
            let remaining = data.count - consumed
            var srcSize = remaining
            var dstSize = chunk.count
            let code: Int = data.withUnsafeBufferPointer { input in
                chunk.withUnsafeMutableBufferPointer { buf in
                    LZ4F_decompress(ctx, buf.baseAddress, &dstSize, input.baseAddress.map { $0 + consumed }, &srcSize, nil)
                }
            }
            if LZ4F_isError(code) != 0 {
                throw BootError.decompression(what: "LZ4 data", offset: offset + consumed, reason: String(cString: LZ4F_getErrorName(code)))
            }
            consumed += srcSize
            out += chunk[0..<dstSize]
            if let prefix, out.count >= prefix { return Array(out.prefix(prefix)) }
            if out.count > limit { throw BootError.decompression(what: "LZ4 data", offset: offset, reason: limitReason(limit)) }
            if code == 0 { finished = true } else if srcSize == 0 && dstSize == 0 {
                throw BootError.decompression(what: "LZ4 data", offset: offset + consumed, reason: "truncated frame")
            }
        }
        if let expectedSize, out.count != expectedSize {
            throw BootError.decompression(what: "LZ4 data", offset: offset, reason: "gave \(out.count) bytes, expected \(expectedSize)")
        }
        return out
    }

    /// A gzip member (zlib's inflate with gzip wrapping).
    public static func gzip(_ data: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, 31, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw BootError.decompression(what: "gzip data", offset: 0, reason: "inflateInit2 failed")
        }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var input = data
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            stream.next_in = inBuf.baseAddress
            stream.avail_in = UInt32(inBuf.count)
            while true {
                let (r, produced): (Int32, Int) = chunk.withUnsafeMutableBufferPointer { buf in
                    stream.next_out = buf.baseAddress
                    stream.avail_out = UInt32(buf.count)
                    let r = inflate(&stream, Z_NO_FLUSH)
                    return (r, buf.count - Int(stream.avail_out))
                }
                out += chunk[0..<produced]
                if out.count > limit { return Z_MEM_ERROR }
                if r == Z_STREAM_END { return r }
                if r != Z_OK { return r }
                if produced == 0 && stream.avail_in == 0 { return Z_BUF_ERROR }
            }
        }
        guard status == Z_STREAM_END else { throw BootError.decompression(what: "gzip data", offset: Int(stream.total_in), reason: "zlib error \(status)") }
        return out
    }

    /// A zstd frame.
    public static func zstd(_ data: [UInt8], limit: Int = 1 << 30) throws -> [UInt8] {
        guard let ctx = ZSTD_createDCtx() else { throw BootError.decompression(what: "zstd data", offset: 0, reason: "no context") }
        defer { ZSTD_freeDCtx(ctx) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: ZSTD_DStreamOutSize())
        var pos = 0
        var last = 1
        try data.withUnsafeBytes { raw in
            var input = ZSTD_inBuffer(src: raw.baseAddress, size: raw.count, pos: 0)
            repeat {
                let (r, produced): (Int, Int) = chunk.withUnsafeMutableBytes { buf in
                    var output = ZSTD_outBuffer(dst: buf.baseAddress, size: buf.count, pos: 0)
                    let r = ZSTD_decompressStream(ctx, &output, &input)
                    return (r, output.pos)
                }
                if ZSTD_isError(r) != 0 { throw BootError.decompression(what: "zstd data", offset: input.pos, reason: String(cString: ZSTD_getErrorName(r))) }
                out += chunk[0..<produced]
                if out.count > limit { throw BootError.decompression(what: "zstd data", offset: input.pos, reason: limitReason(limit)) }
                last = r
                if produced == 0 && input.pos == pos && r != 0 && input.pos == input.size {
                    throw BootError.decompression(what: "zstd data", offset: input.pos, reason: "truncated frame")
                }
                pos = input.pos
            } while input.pos < input.size || last != 0
        }
        return out
    }
}
