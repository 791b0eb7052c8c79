import Boot
import Foundation
import Support

/// Packs a folder a builder staged into a deterministic initramfs with ownerboot's own cpio
/// writer: entries sorted, owner 0:0, every mtime SOURCE_DATE_EPOCH, hard links kept, device
/// nodes added from the board's list (a sandboxed builder cannot create them), compressed.
public struct PackSpec: Sendable, Codable, Equatable {
    /// The staged folder, relative to the output.
    public var tree: String
    /// The archive to write, relative to the output.
    public var output: String
    public var compression: Compression.Format
    /// "path c|b MAJOR MINOR", e.g. "dev/console c 5 1".
    public var devices: [String]

    /// How it enters the derivation's hash (as the `OWNERBOOT_PACK` variable). The
    /// compressor's settings are part of it: xz became BCJ x86 + preset 9e ("xz2"), and a
    /// store output packed the old way must not count as this one.
    public var canonical: String {
        let method = compression == .xz ? "xz2" : compression.rawValue
        return "tree=\(tree) output=\(output) compression=\(method) devices=\(devices.joined(separator: ";"))"
    }
}

public enum TreePacker {
    public static func pack(_ spec: PackSpec, in output: URL, mtime: Int) throws {
        let root = output.appendingPathComponent(spec.tree)
        var entries: [CPIOArchive.Entry] = []
        var firstPathOfInode: [UInt64: String] = [:]
        let fm = FileManager.default
        guard let enumerator = fm.enumerator(atPath: root.path) else { throw PackError.noTree(path: root.path) }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String { paths.append(path) }
        for path in paths.sorted() {
            let full = root.appendingPathComponent(path).path
            var info = stat()
            guard lstat(full, &info) == 0 else { throw PackError.unreadable(path: full) }
            let permissions = UInt32(info.st_mode & 0o7777)
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                entries.append(.init(path: path, permissions: permissions, kind: .directory))
            case S_IFLNK:
                entries.append(.init(path: path, permissions: 0o777, kind: .symlink(target: try fm.destinationOfSymbolicLink(atPath: full))))
            case S_IFREG:
                if info.st_nlink > 1, let first = firstPathOfInode[UInt64(info.st_ino)] {
                    entries.append(.init(path: path, permissions: permissions, kind: .hardLink(target: first)))
                } else {
                    if info.st_nlink > 1 { firstPathOfInode[UInt64(info.st_ino)] = path }
                    guard let data = fm.contents(atPath: full) else { throw PackError.unreadable(path: full) }
                    entries.append(.init(path: path, permissions: permissions, kind: .file(Array(data))))
                }
            default:
                throw PackError.unsupported(path: full)
            }
        }
        for line in spec.devices {
            let parts = line.split(separator: " ").map(String.init)
            guard parts.count == 4, let major = UInt32(parts[2]), let minor = UInt32(parts[3]), parts[1] == "c" || parts[1] == "b" else {
                throw PackError.badDevice(line: line)
            }
            let kind: CPIOArchive.Kind = parts[1] == "c" ? .characterDevice(major: major, minor: minor) : .blockDevice(major: major, minor: minor)
            entries.append(.init(path: parts[0], permissions: 0o600, kind: kind))
        }
        let archive = try CPIOArchive(entries: entries, mtime: UInt32(mtime)).serialize()
        let packed = try Compression.compress(archive, format: spec.compression)
        try Data(packed).write(to: output.appendingPathComponent(spec.output))
        try fm.removeItem(at: root)
    }
}

public enum PackError: UserFacingError, Equatable {
    case noTree(path: String)
    case unreadable(path: String)
    case unsupported(path: String)
    case badDevice(line: String)

    public var message: String {
        switch self {
        case .noTree(let path): return "the builder left no folder \(path) to pack"
        case .unreadable(let path): return "cannot read \(path) while packing"
        case .unsupported(let path): return "\(path) is neither a file, a folder nor a symlink"
        case .badDevice(let line): return "device '\(line)' is not of the form \"PATH c|b MAJOR MINOR\""
        }
    }

    public var fix: String? { "fix the builder or the component's pack table in board.toml" }
}
