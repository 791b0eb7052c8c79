import Foundation
import Support

/// A flat Debian repository made from the store alone: a hard link to every .deb the lock pins
/// (each re-hashed against the lock and Debian's signed index first), a `Packages` index (`dpkg-scanpackages
/// --multiversion`) and a `Release` naming the suite, which mmdebstrap needs to find the
/// essential packages. It holds exactly the pinned packages, so apt can choose nothing else,
/// and reading it needs no network.
public struct LocalRepository: Sendable {
    /// The folder holding the .debs and indexes.
    public var directory: URL

    /// The `sources.list` line apt reads it with.
    public var sourcesLine: String { "deb [trusted=yes] file://\(directory.path) ./" }

    /// Makes the repository in `directory` (created; must not exist). Throws naming the first
    /// package the store lacks or holds different bytes for.
    /// Every .deb is checked against the lock and Debian's signed index (the archive metadata
    /// must be in the store: `PackageFetcher.fetch` brings it) before it is linked.
    public static func make(for env: LockFile.BuildEnvironment, what: String = "the build environment", store: Store, at directory: URL,
                            keyring: URL = ArchiveIndex.debianKeyring) throws -> LocalRepository {
        let fm = FileManager.default
        let fetcher = PackageFetcher(store: store, keyring: keyring)
        let index = try fetcher.archives.index(for: env, what: what, downloading: false)
        try fm.createDirectory(at: directory, withIntermediateDirectories: false)
        for package in env.packages {
            try index.check(package)
            let stored = try fetcher.storedDeb(package, index: index)
            let link = directory.appendingPathComponent(package.debFileName)
            // A hard link costs nothing (same file system as the store); mmdebstrap's
            // file-mirror hook bind-mounts this folder, so a symlink into the store would dangle.
            do { try fm.linkItem(at: stored, to: link) } catch { try fm.copyItem(at: stored, to: link) }
        }
        let scan = try ProcessRunner(workingDirectory: directory, timeout: 600).run("dpkg-scanpackages", ["--multiversion", ".", "/dev/null"])
        guard scan.status == 0 else {
            throw LockError.environmentMismatch(detail: "dpkg-scanpackages failed in \(directory.path):\n" + ProcessRunner.Result.tail(scan.stderrText))
        }
        try scan.stdout.write(to: directory.appendingPathComponent("Packages"))
        let release = "Origin: ownerboot\nLabel: ownerboot\nSuite: \(env.suite)\nCodename: \(env.suite)\nComponents: main\n"
        try Data(release.utf8).write(to: directory.appendingPathComponent("Release"))
        return LocalRepository(directory: directory)
    }

    /// name=version of every package the `Packages` index lists, sorted.
    public func indexedPackages() throws -> [String] {
        let text = try String(contentsOf: directory.appendingPathComponent("Packages"), encoding: .utf8)
        return text.components(separatedBy: "\n\n").compactMap { record -> String? in
            var name: String?, version: String?
            for line in record.split(separator: "\n") {
                if line.hasPrefix("Package: ") { name = String(line.dropFirst(9)) }
                if line.hasPrefix("Version: ") { version = String(line.dropFirst(9)) }
            }
            guard let name, let version else { return nil }
            return "\(name)=\(version)"
        }.sorted()
    }
}
