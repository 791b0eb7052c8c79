import Foundation

/// Where a symbolic link inside a folder leads, resolved the way the kernel would (each link
/// on the way followed, `..` taken after it) but never past the folder: a builder's output or
/// a staged tree is judged by it before it enters the store. Bounded: at most 40 links are
/// followed, as the kernel's ELOOP.
public enum ContainedLink {
    public enum Resolution: Equatable, Sendable {
        /// The path the link leads to, relative to the folder (it need not exist).
        case inside(String)
        /// An absolute target, or `..` above the folder.
        case outside
        /// More than `maximumHops` links.
        case loop
    }

    public static let maximumHops = 40

    /// Resolves `relativePath` (a path inside `root`, e.g. the link itself) within `root`.
    public static func resolve(_ relativePath: String, in root: URL) -> Resolution {
        var pending = relativePath.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var resolved: [String] = []
        var hops = 0
        while !pending.isEmpty {
            let component = pending.removeFirst()
            if component == "." { continue }
            if component == ".." {
                if resolved.isEmpty { return .outside }
                resolved.removeLast()
                continue
            }
            let candidate = resolved + [component]
            let full = root.appendingPathComponent(candidate.joined(separator: "/")).path
            var info = stat()
            if lstat(full, &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
                hops += 1
                guard hops <= maximumHops, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: full) else { return .loop }
                if target.hasPrefix("/") { return .outside }
                pending = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init) + pending
            } else {
                resolved = candidate
            }
        }
        return .inside(resolved.joined(separator: "/"))
    }
}
