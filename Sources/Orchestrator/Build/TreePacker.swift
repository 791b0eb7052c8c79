import Boot
import Foundation
import Support

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
