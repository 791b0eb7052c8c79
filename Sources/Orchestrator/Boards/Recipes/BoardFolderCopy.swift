import Foundation

/// Copies a board folder (or a recipe file or folder of a layer) as plain files for a board
/// snapshot. A symbolic link is copied as the file or folder it points to, so the copy stands
/// alone (a bundle carries no links) and its tree hash covers the content, but only a link
/// that stays inside the folder it belongs to (the boards folder for a board's files, the
/// recipe layer for a recipe): a link out of it (to the owner's key, say) or one with an
/// absolute target is refused naming it, as is a link loop — a chain of more than
/// `ContainedLink.maximumHops` links, or a folder link to a folder being copied (its parent).
/// The work is bounded: at most `maximumEntries` files and folders per copy. Modes follow
/// `StoredMode` (0755 or 0644), so the snapshot's hash does not depend on the umask.
public enum BoardFolderCopy {
    public static let maximumEntries = 100_000

    /// Copies `relativePath` (a folder or file inside `root`) to `destination`, following
    /// links only within `root`.
    public static func copy(_ relativePath: String, in root: URL, to destination: URL) throws {
        var copier = Copier(root: root)
        try copier.copy(relativePath, shownAs: relativePath, to: destination, ancestors: [])
    }

    /// The same walk and the same refusals as `copy`, writing nothing: a plan checks a board's
    /// files before any builder sees them (a link to the owner's key must not be bound into a
    /// sandbox, let alone copied into a snapshot after the build).
    public static func check(_ relativePath: String, in root: URL) throws {
        var copier = Copier(root: root)
        try copier.copy(relativePath, shownAs: relativePath, to: nil, ancestors: [])
    }

    struct Copier {
        let root: URL
        var entries = 0

        init(root: URL) { self.root = root.standardizedFileURL }

        /// `relativePath` is where the entry is in `root` (links already followed for its
        /// parents); `shownAs` the path as the owner sees it, for messages.
        /// `destination` nil: walk and check only.
        mutating func copy(_ relativePath: String, shownAs: String, to destination: URL?, ancestors: [FileIdentity]) throws {
            entries += 1
            guard entries <= BoardFolderCopy.maximumEntries else {
                throw BoardError.tooManyFiles(folder: root.path, limit: BoardFolderCopy.maximumEntries)
            }
            let shown = root.appendingPathComponent(shownAs).path
            let resolved: String
            switch ContainedLink.resolve(relativePath, in: root) {
            case .inside(let path): resolved = path
            case .outside: throw BoardError.linkLeavesFolder(path: shown, target: target(of: root.appendingPathComponent(relativePath)), folder: root.path)
            case .loop: throw BoardError.linkLoop(path: shown, target: target(of: root.appendingPathComponent(relativePath)))
            }
            let source = resolved.isEmpty ? root : root.appendingPathComponent(resolved)
            var info = stat()
            guard stat(source.path, &info) == 0 else { throw BoardError.danglingLink(path: shown) }
            let fm = FileManager.default
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                if ancestors.contains(identity) {
                    throw BoardError.linkLoop(path: shown, target: target(of: root.appendingPathComponent(relativePath)))
                }
                if let destination { try fm.createDirectory(at: destination, withIntermediateDirectories: true) }
                for name in try fm.contentsOfDirectory(atPath: source.path).sorted() {
                    let child = resolved.isEmpty ? name : "\(resolved)/\(name)"
                    try copy(child, shownAs: "\(shownAs)/\(name)", to: destination?.appendingPathComponent(name), ancestors: ancestors + [identity])
                }
                if let destination {
                    try fm.setAttributes([.posixPermissions: StoredMode.clamped(Int(info.st_mode & 0o7777), isDirectory: true)], ofItemAtPath: destination.path)
                }
            case S_IFREG:
                guard let destination else { return }
                try fm.copyItem(at: source, to: destination)
                try fm.setAttributes([.posixPermissions: StoredMode.clamped(Int(info.st_mode & 0o7777), isDirectory: false)], ofItemAtPath: destination.path)
            default:
                throw BoardError.unreadable(file: shown, reason: "it is neither a file nor a folder")
            }
        }

        /// The link the owner made on the way to `url` (inside `root`), as its target reads.
        func target(of url: URL) -> String {
            var path = url.standardizedFileURL.path
            while path.hasPrefix(root.path + "/") {
                if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) { return target }
                path = (path as NSString).deletingLastPathComponent
            }
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: root.path)) ?? "?"
        }
    }

    struct FileIdentity: Equatable {
        let device: UInt64
        let inode: UInt64
    }
}
