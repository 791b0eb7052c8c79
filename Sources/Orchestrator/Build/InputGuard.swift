import Foundation
import Support

/// What a builder was given, as it was before the builder ran: every input and the build
/// environment, each entry's type, mode, owner, size, inode, modification and change time
/// (lstat, nothing read). `changes()` looks again after the run. A process cannot set a
/// file's change time (only the kernel's clock does), so no write, chmod, chown, rename or
/// replacement inside the sandbox goes unseen. A change time that moved alone is not proof
/// (another build hard-linking the same store .deb moves it too): that input is re-hashed
/// and compared with the hash it is known by (the store's record, the derivation's input).
///
/// The ordinary sandbox cannot change its inputs at all (no capability, read-only binds); a
/// multi-id builder keeps `CAP_SYS_ADMIN` in its own namespace and could remount an input
/// writable. This is how the build notices that, right where it happens, instead of serving
/// the changed input to every later build.
struct InputGuard {
    struct Change: Equatable {
        /// The input's name (`buildenv` for the root).
        var input: String
        /// The host path that changed (or vanished, or appeared).
        var path: String
        var detail: String
    }

    struct Watched {
        var name: String
        var path: URL
        /// What the whole input hashes to (`TreeHash` of a folder, SHA-256 of a file); nil:
        /// any moved change time counts as a change.
        var hash: String?
    }

    let watched: [Watched]
    private let before: [String: [String: Facts]]

    init(watching watched: [Watched]) {
        self.watched = watched
        var before: [String: [String: Facts]] = [:]
        for input in watched { before[input.name] = Self.listing(input.path) }
        self.before = before
    }

    /// The first change of each input that changed, in the order they were given.
    func changes() -> [Change] {
        var result: [Change] = []
        for input in watched {
            let (name, path) = (input.name, input.path)
            let now = Self.listing(path)
            let old = before[name] ?? [:]
            guard now != old else { continue }
            let paths = Set(now.keys).union(old.keys).sorted()
            func place(_ relative: String) -> String { relative.isEmpty ? path.path : path.appendingPathComponent(relative).path }
            if let first = paths.first(where: { now[$0]?.fixed != old[$0]?.fixed }) {
                let detail: String
                switch (old[first], now[first]) {
                case (nil, _): detail = "it appeared"
                case (_, nil): detail = "it vanished"
                default: detail = "\(old[first]!.fixed) became \(now[first]!.fixed)"
                }
                result.append(Change(input: name, path: place(first), detail: detail))
                continue
            }
            // Only change times moved: the content decides.
            let first = paths.first { now[$0] != old[$0] }!
            guard let expected = input.hash else {
                result.append(Change(input: name, path: place(first), detail: "its change time moved"))
                continue
            }
            let actual = try? Self.hash(path)
            if actual != expected {
                result.append(Change(input: name, path: place(first), detail: "its change time moved and the input hashes to \(actual ?? "nothing") instead of \(expected)"))
            }
        }
        return result
    }

    /// `TreeHash` of a folder, SHA-256 of a file (as `BuildPlan.fileHash` and the store).
    static func hash(_ url: URL) throws -> String {
        var info = stat()
        if lstat(url.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return try TreeHash.hash(of: url) }
        return try SHA256Digest.hex(fileAt: url)
    }

    struct Facts: Equatable {
        /// Type, mode, owner, size, inode, modification time: what only a change sets.
        var fixed: String
        /// Change time and link count, which another build's hard link also moves.
        var moving: String
    }

    /// Relative path ("" for the top) → its lstat facts, for a file or a whole tree.
    static func listing(_ top: URL) -> [String: Facts] {
        var result: [String: Facts] = [:]
        result[""] = facts(top.path)
        var info = stat()
        guard lstat(top.path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR,
              let enumerator = FileManager.default.enumerator(atPath: top.path) else { return result }
        while let path = enumerator.nextObject() as? String {
            result[path] = facts(top.appendingPathComponent(path).path)
        }
        return result
    }

    static func facts(_ path: String) -> Facts {
        var info = stat()
        guard lstat(path, &info) == 0 else { return Facts(fixed: "missing", moving: "") }
        return Facts(fixed: "mode \(String(info.st_mode, radix: 8)) owner \(info.st_uid):\(info.st_gid) size \(info.st_size) inode \(info.st_ino) mtime \(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)",
                     moving: "ctime \(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec) links \(info.st_nlink)")
    }
}
