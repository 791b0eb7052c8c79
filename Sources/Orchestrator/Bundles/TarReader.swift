import Foundation
import Support

/// Reads a bundle's members in order, one header at a time, from a file that is not trusted:
/// headers are checked by `TarHeader.decode`, member data is streamed in 1 MiB chunks (never
/// held whole) and a member may not run past the end of the file.
final class TarReader {
    let handle: FileHandle
    let path: String
    let fileSize: Int64
    private(set) var offset: Int64 = 0
    private var peeked: TarHeader??

    init(url: URL) throws {
        path = url.path
        do { handle = try FileHandle(forReadingFrom: url) } catch { throw BundleError.unreadable(path: url.path, reason: "\(error.localizedDescription)") }
        fileSize = (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? 0
    }

    deinit { try? handle.close() }

    /// The next member's header without consuming it; nil at the end of the archive.
    func peek() throws -> TarHeader? {
        if let peeked { return peeked }
        let start = offset
        let block = [UInt8](try handle.read(upToCount: TarHeader.blockSize) ?? Data())
        offset += Int64(block.count)
        if block.isEmpty { peeked = .some(nil); return nil }  // no end-of-archive blocks: treated as the end
        let header = try TarHeader.decode(block, offset: start)
        if let header, header.kind == .file, header.size > fileSize - offset {
            throw BundleError.malformed(offset: start, reason: "\(header.path) claims \(header.size) bytes, more than the file holds")
        }
        peeked = .some(header)
        return header
    }

    /// Consumes the peeked header.
    func next() throws -> TarHeader? {
        let header = try peek()
        peeked = nil
        return header
    }

    /// A small member's data (bounded by `limit`), after `next()` returned its header.
    func readAll(_ header: TarHeader, limit: Int) throws -> Data {
        guard header.size <= Int64(limit) else { throw BundleError.tooLarge(what: header.path, limit: Int64(limit)) }
        var data = Data()
        try stream(header) { data.append($0) }
        return data
    }

    /// Passes a member's data to `body` in chunks, then skips its padding.
    func stream(_ header: TarHeader, _ body: (Data) throws -> Void) throws {
        var left = header.kind == .file ? header.size : 0
        while left > 0 {
            guard let chunk = try handle.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty else {
                throw BundleError.malformed(offset: offset, reason: "the archive ends inside \(header.path)")
            }
            offset += Int64(chunk.count)
            left -= Int64(chunk.count)
            try body(chunk)
        }
        let remainder = Int(offset % Int64(TarHeader.blockSize))
        if remainder != 0 {
            let skip = TarHeader.blockSize - remainder
            let padding = try handle.read(upToCount: skip) ?? Data()
            offset += Int64(padding.count)
        }
    }
}
