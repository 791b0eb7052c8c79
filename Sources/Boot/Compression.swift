import CLZMA
import CZlib
import CZstd

/// Compressors for the initramfs, with deterministic output: the same bytes in give the same
/// bytes out on every machine (gzip header with mtime 0 and no name; xz single-threaded with
/// the CRC32 check and x86 BCJ filter the kernel's decompressor knows; zstd single-threaded at a fixed level).
public enum Compression {
    public enum Format: String, Codable, Sendable, CaseIterable { case none, gzip, xz, zstd }

    public static func compress(_ data: [UInt8], format: Format) throws -> [UInt8] {
        switch format {
        case .none: return data
        case .gzip: return try gzip(data)
        case .xz: return try xzExecutables(data)
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

    /// xz for an initramfs full of x86 executables: the x86 BCJ filter before LZMA2 at
    /// preset 9e, the dictionary no larger than the input needs (the kernel allocates it). Some
    /// 7% smaller than plain preset 6: what lets a payload fit a 7 MiB BIOS region.
    public static func xzExecutables(_ data: [UInt8]) throws -> [UInt8] {
        var options = lzma_options_lzma()
        guard lzma_lzma_preset(&options, 9 | 0x8000_0000) == 0 else {  // 9 | LZMA_PRESET_EXTREME
            throw BootError.compression(what: "xz", reason: "liblzma rejected preset 9e")
        }
        var dictionary: UInt32 = 1 << 16
        while dictionary < min(UInt32(clamping: data.count), 64 << 20) { dictionary <<= 1 }
        options.dict_size = dictionary
        var out = [UInt8](repeating: 0, count: lzma_stream_buffer_bound(data.count))
        var position = 0
        let r: lzma_ret = withUnsafeMutablePointer(to: &options) { lzma2 in
            // Filter IDs are macros Swift cannot import: LZMA_FILTER_X86 = 0x04,
            // LZMA_FILTER_LZMA2 = 0x21, LZMA_VLI_UNKNOWN ends the chain.
            var filters = [lzma_filter(id: 0x04, options: nil), lzma_filter(id: 0x21, options: UnsafeMutableRawPointer(lzma2)),
                           lzma_filter(id: UInt64.max, options: nil)]
            return data.withUnsafeBufferPointer { inBuf in
                out.withUnsafeMutableBufferPointer { outBuf in
                    lzma_stream_buffer_encode(&filters, LZMA_CHECK_CRC32, nil, inBuf.baseAddress, inBuf.count, outBuf.baseAddress, &position, outBuf.count)
                }
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
