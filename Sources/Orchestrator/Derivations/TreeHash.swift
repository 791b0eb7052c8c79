import Foundation
import Support

/// The content hash of a folder: SHA-256 over its entries sorted by path, each as
/// `type mode path` plus the file's SHA-256 or the symlink's target. Used to record, verify
/// and compare outputs (`store verify`, `build --check`).
public enum TreeHash {
    public struct Entry: Sendable, Equatable {
        public var path: String
        public var summary: String
    }

    public static func entries(of root: URL) throws -> [Entry] {
        let fm = FileManager.default
        var result: [Entry] = []
        guard let enumerator = fm.enumerator(atPath: root.path) else { return [] }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String { paths.append(path) }
        for path in paths.sorted() {
            let full = root.appendingPathComponent(path).path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let mode = String(info.st_mode & 0o7777, radix: 8)
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                result.append(Entry(path: path, summary: "l \(mode) \((try? fm.destinationOfSymbolicLink(atPath: full)) ?? "")"))
            case S_IFDIR:
                result.append(Entry(path: path, summary: "d \(mode)"))
            case S_IFREG:
                result.append(Entry(path: path, summary: "f \(mode) \(try SHA256Digest.hex(fileAt: URL(fileURLWithPath: full)))"))
            default:
                result.append(Entry(path: path, summary: "o \(mode) \(info.st_rdev)"))
            }
        }
        return result
    }

    public static func hash(of root: URL) throws -> String {
        hash(entries: try entries(of: root))
    }

    /// The tree hash of entries already listed (so a caller that needs each file's hash too
    /// reads every file once).
    public static func hash(entries: [Entry]) -> String {
        SHA256Digest.hex(Array(entries.map { "\($0.summary) \($0.path)" }.joined(separator: "\n").utf8))
    }

    /// Paths whose content or metadata differ between two trees.
    public static func differences(_ a: URL, _ b: URL) throws -> [String] {
        let left = Dictionary(uniqueKeysWithValues: try entries(of: a).map { ($0.path, $0.summary) })
        let right = Dictionary(uniqueKeysWithValues: try entries(of: b).map { ($0.path, $0.summary) })
        return Set(left.keys).union(right.keys).filter { left[$0] != right[$0] }.sorted()
    }

    public static func size(of root: URL) -> Int64 {
        var total: Int64 = 0
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.fileSizeKey, .isSymbolicLinkKey])
        while let url = enumerator?.nextObject() as? URL {
            total += Int64((try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
        }
        return total
    }
}
