import CLZMA
import CZlib
import CZstd

/// Compressors for the initramfs, with deterministic output: the same bytes in give the same
/// bytes out on every machine (gzip header with mtime 0 and no name; xz single-threaded with
/// the CRC32 check the kernel's decompressor needs; zstd single-threaded at a fixed level).
public enum Compression {
    public enum Format: String, Codable, Sendable, CaseIterable { case none, gzip, xz, zstd }

    public static func compress(_ data: [UInt8], format: Format) throws -> [UInt8] {
        switch format {
        case .none: return data
        case .gzip: return try gzip(data)
        case .xz: return try xz(data)
        case .zstd: return try zstd(data)
        }
    }

    public static func gzip(_ data: [UInt8], level: Int32 = 9) throws -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw BootError.compression(what: "gzip", reason: "deflateInit2 failed")
        }
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        var input = data
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = inBuf.baseAddress
                stream.avail_in = UInt32(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = UInt32(outBuf.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END else { throw BootError.compression(what: "gzip", reason: "zlib status \(status)") }
        return Array(out.prefix(Int(stream.total_out)))
    }

    public static func xz(_ data: [UInt8], preset: UInt32 = 6) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: lzma_stream_buffer_bound(data.count))
        var position = 0
        let r = data.withUnsafeBufferPointer { inBuf in
            out.withUnsafeMutableBufferPointer { outBuf in
                lzma_easy_buffer_encode(preset, LZMA_CHECK_CRC32, nil, inBuf.baseAddress, inBuf.count, outBuf.baseAddress, &position, outBuf.count)
            }
        }
        guard r == LZMA_OK else { throw BootError.compression(what: "xz", reason: "liblzma status \(r.rawValue)") }
        return Array(out.prefix(position))
    }

    public static func zstd(_ data: [UInt8], level: Int32 = 19) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(data.count))
        let n = data.withUnsafeBytes { inBuf in
            out.withUnsafeMutableBytes { outBuf in
                ZSTD_compress(outBuf.baseAddress, outBuf.count, inBuf.baseAddress, inBuf.count, level)
            }
        }
        guard ZSTD_isError(n) == 0 else { throw BootError.compression(what: "zstd", reason: String(cString: ZSTD_getErrorName(n))) }
        return Array(out.prefix(n))
    }
}
