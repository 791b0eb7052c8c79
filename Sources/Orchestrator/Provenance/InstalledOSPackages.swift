import Foundation

/// What the OS image really holds: its builder's `packages.txt` (`dpkg-query` in the finished
/// root: name, version, architecture per line), each matched to the lock's pinned .deb. The
/// lock's OS closure is what the build may install, not what it did: minbase resolves apt and
/// its libraries (12 of qemu-x86's 148 pins) that mmdebstrap leaves out, so documents that
/// say "contained in the image" must read this list, never the lock.
public enum InstalledOSPackages {
    /// The installed packages in `packagesList`, as the lock pins them (so each carries its
    /// .deb's SHA-256). An installed package the lock does not pin at that version and
    /// architecture means the image is not the pinned system: an error, never a silent entry.
    public static func parse(_ packagesList: String, pinned: [LockFile.Package], path: String) throws -> [LockFile.Package] {
        var byKey: [String: LockFile.Package] = [:]
        for package in pinned { byKey["\(package.name) \(package.version) \(package.architecture)"] = package }
        var installed: [LockFile.Package] = []
        for (index, raw) in packagesList.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let fields = line.split(separator: " ")
            guard fields.count == 3 else {
                throw ProvenanceError.unreadable(path: path, reason: "line \(index + 1) is not `NAME VERSION ARCH`: \(line.prefix(120))")
            }
            guard let package = byKey[fields.joined(separator: " ")] else {
                throw ProvenanceError.unpinnedOSPackage(path: path, line: index + 1, package: "\(fields[0])=\(fields[1]) (\(fields[2]))")
            }
            installed.append(package)
        }
        return installed.sorted { $0.name < $1.name }
    }

    /// The packages installed in the os component's output `directory` (nil when it has no
    /// `packages.txt`: a board without `[os]`, whose image no lock describes).
    public static func read(outputDirectory directory: URL, pinned: [LockFile.Package]) throws -> [LockFile.Package]? {
        let file = directory.appendingPathComponent("packages.txt")
        guard FileManager.default.fileExists(atPath: file.path) else { return nil }
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw ProvenanceError.unreadable(path: file.path, reason: error.localizedDescription)
        }
        return try parse(text, pinned: pinned, path: file.path)
    }
}
