import Foundation
import Support

/// Makes a build environment: a Debian root file system from exactly the packages the lock
/// pins (mmdebstrap, `--include=name=version,…`), installed from a `LocalRepository` of the
/// store's .debs and never from the network, checked against the lock afterwards (every pinned
/// package at its version, nothing else), with the empty `/inputs`, `/build` and `/out` mount
/// points the sandbox needs.
public struct BuildEnvironmentBuilder: Sendable {
    public init() {}

    /// The hook that bind-mounts a `file://` mirror into mmdebstrap's chroot.
    static let fileMirrorHook = "/usr/share/mmdebstrap/hooks/file-mirror-automount"

    public func build(_ env: LockFile.BuildEnvironment, from repository: LocalRepository, into root: URL, log: URL) throws {
        let include = env.packages.map(\.pin).joined(separator: ",")
        // mmdebstrap writes straight into the log, so progress shows its last line meanwhile.
        let result = try ProcessRunner(timeout: 3600, combinedOutput: log).run("mmdebstrap", [
            "--variant=\(env.variant)", "--include=\(include)", "--aptopt=APT::Get::allow-downgrades \"true\"",
            "--hook-dir=\(Self.fileMirrorHook)", env.suite, root.path, repository.sourcesLine,
        ])
        guard result.status == 0 else {
            throw LockError.environmentMismatch(detail: "mmdebstrap failed (log: \(log.path)):\n" + ProcessRunner.Result.tail(result.stdoutText))
        }
        let installed = try Self.installedPackages(root: root)
        let wanted = Dictionary(uniqueKeysWithValues: env.packages.map { ($0.name, $0.version) })
        for (name, version) in wanted where installed[name] != version {
            throw LockError.environmentMismatch(detail: "\(name) is \(installed[name] ?? "not installed"), the lock pins \(version)")
        }
        if let extra = installed.keys.sorted().first(where: { wanted[$0] == nil }) {
            throw LockError.environmentMismatch(detail: "\(extra) \(installed[extra]!) was installed but is not in the lock")
        }
        try Self.forgetRepository(repository, root: root, env: env)
        for dir in ["inputs", "build", "out"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    /// Removes what the local repository left in the root, so no host path stays in it: the
    /// hook's empty mount point (the repository's host path, recreated inside: every empty
    /// folder of it that no installed package owns) and the `sources.list` naming it, which
    /// becomes the line an online install writes (the lock's mirror and suite, both already in
    /// the build environment's hash).
    static func forgetRepository(_ repository: LocalRepository, root: URL, env: LockFile.BuildEnvironment) throws {
        var path = repository.directory.standardizedFileURL.path
        while path != "/" && !path.isEmpty {
            let owned = try ProcessRunner().run("dpkg-query", ["--admindir=\(root.path)/var/lib/dpkg", "-S", path]).status == 0
            guard !owned, rmdir(root.path + path) == 0 else { break }
            path = (path as NSString).deletingLastPathComponent
        }
        try Data("deb \(env.mirror) \(env.suite) main\n".utf8).write(to: root.appendingPathComponent("etc/apt/sources.list"))
    }

    /// name → version of what dpkg says is installed in `root`.
    public static func installedPackages(root: URL) throws -> [String: String] {
        Dictionary(try packageList(root: root).map { ($0.name, $0.version) }, uniquingKeysWith: { first, _ in first })
    }

    /// The package list of a root, with architectures, sorted by name.
    public static func packageList(root: URL) throws -> [LockFile.Package] {
        let out = try ProcessRunner().checked("dpkg-query", ["--admindir=\(root.path)/var/lib/dpkg", "-W", "-f=${Package}\t${Version}\t${Architecture}\t${db:Status-Abbrev}\n"]).stdoutText
        return out.split(separator: "\n").compactMap { line in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 4, parts[3].hasPrefix("ii") else { return nil }
            return LockFile.Package(name: parts[0], version: parts[1], architecture: parts[2], sha256: nil)
        }.sorted { $0.name < $1.name }
    }
}
