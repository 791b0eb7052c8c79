import Foundation

/// The files an executable needs to run: its interpreter and every shared library reachable
/// through DT_NEEDED, resolved like ld.so (DT_RPATH when there is no DT_RUNPATH, then
/// DT_RUNPATH, then the given search paths; `$ORIGIN` expanded). Pure: files are reached only
/// through `lookup`, so it works on a root file system, a package set or a test dictionary.
public enum SharedLibraryClosure {
    public struct Result: Sendable, Equatable {
        /// Absolute paths of the interpreter and all libraries, sorted, without duplicates.
        public var files: [String]
        /// DT_NEEDED names that no search path resolved, sorted.
        public var missing: [String]
    }

    public static let defaultSearchPaths = ["/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/lib", "/usr/lib"]

    /// `lookup(path)` returns the file's bytes, or nil when it does not exist.
    public static func compute(executable path: String, searchPaths: [String] = defaultSearchPaths,
                               lookup: (String) throws -> [UInt8]?) throws -> Result {
        guard let bytes = try lookup(path) else { throw BootError.notFound(what: "executable \(path)") }
        var files = Set<String>()
        var missing = Set<String>()
        var queue: [(String, ELFFile)] = [(path, try ELFFile(parsing: bytes))]
        var seen: Set<String> = [path]
        if let interp = queue[0].1.interpreter {
            if let b = try lookup(interp) {
                files.insert(interp)
                seen.insert(interp)
                queue.append((interp, try ELFFile(parsing: b)))
            } else {
                missing.insert(interp)
            }
        }
        // Like ld.so, a DT_NEEDED name is loaded once: later objects asking for it get the
        // library already found. Without that, a library whose RUNPATH is `$ORIGIN/lib` and
        // that needs itself would be found again as /lib/lib/x, /lib/lib/lib/x, … without end.
        var loadedNames = Set<String>()
        while !queue.isEmpty {
            let (objectPath, elf) = queue.removeFirst()
            let origin = (objectPath as NSString).deletingLastPathComponent
            let own = (elf.runpath.isEmpty ? elf.rpath : []) + elf.runpath
            let dirs = own.map { $0.replacingOccurrences(of: "$ORIGIN", with: origin).replacingOccurrences(of: "${ORIGIN}", with: origin) } + searchPaths
            for name in elf.needed where !loadedNames.contains(name) {
                var resolved: (String, [UInt8])?
                if name.contains("/") {
                    if let b = try lookup(name) { resolved = (name, b) }
                } else {
                    for dir in dirs {
                        let candidate = dir.hasSuffix("/") ? dir + name : dir + "/" + name
                        if let b = try lookup(candidate) { resolved = (candidate, b); break }
                    }
                }
                guard let (found, b) = resolved else { missing.insert(name); continue }
                loadedNames.insert(name)
                files.insert(found)
                if seen.insert(found).inserted { queue.append((found, try ELFFile(parsing: b))) }
            }
        }
        return Result(files: files.sorted(), missing: missing.sorted())
    }

    /// A `lookup` over a directory tree: `root` + path, following symlinks, nil when absent.
    public static func fileSystemLookup(root: String = "/") -> (String) throws -> [UInt8]? {
        { path in
            let full = root == "/" ? path : (root as NSString).appendingPathComponent(path)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue else { return nil }
            return FileManager.default.contents(atPath: full).map { [UInt8]($0) }
        }
    }
}
