import Foundation
import Support

/// `ownerboot lock`: resolves what a board asks for into exact pins. The build environment's
/// closure is resolved by making it once (mmdebstrap) and reading its package list; each
/// package's .deb SHA-256 comes from apt's signed metadata. Sources are downloaded and hashed
/// (and kept in the store, since their hash is now known).
public struct Locker: Sendable {
    public var store: Store
    public var log: @Sendable (String) -> Void

    public init(store: Store, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.log = log
    }

    /// `previous`: the board's current lock. With `keepUnchanged`, a part whose request did not
    /// change (the build environment when only `[os]` changed) keeps its pins instead of being
    /// re-resolved against the live mirror, so adding an OS does not move every component.
    public func lock(_ board: Board, previous: LockFile? = nil, keepUnchanged: Bool = false) throws -> LockFile {
        var lock = LockFile(board: board.name, request: LockFile.requestHash(for: board), buildenv: nil, sources: [:])
        if let spec = board.buildEnvironment {
            if keepUnchanged, let old = previous?.buildenv, old.suite == spec.suite, old.mirror == spec.mirror, old.variant == spec.variant,
               Set(spec.packages).isSubset(of: Set(old.packages.map(\.name))), old.packages.allSatisfy({ $0.sha256 != nil }) {
                log("keeping the build environment's \(old.packages.count) pins (unchanged request)")
                lock.buildenv = old
            } else {
                log("resolving the build environment (\(spec.packages.count) packages asked for)")
                lock.buildenv = try resolve(suite: spec.suite, mirror: spec.mirror, variant: spec.variant, packages: spec.packages, what: "the build environment")
                log("pinned \(lock.buildenv!.packages.count) packages")
            }
        }
        if let spec = board.os {
            if keepUnchanged, let old = previous?.os, old.suite == spec.suite, old.mirror == spec.mirror, old.variant == spec.variant,
               Set(spec.packages).isSubset(of: Set(old.packages.map(\.name))), old.packages.allSatisfy({ $0.sha256 != nil }) {
                log("keeping the OS's \(old.packages.count) pins (unchanged request)")
                lock.os = old
            } else {
                log("resolving the OS (\(spec.packages.count) packages asked for, \(spec.variant))")
                lock.os = try resolve(suite: spec.suite, mirror: spec.mirror, variant: spec.variant, packages: spec.packages, what: "the OS")
                log("pinned \(lock.os!.packages.count) OS packages")
            }
        }
        for source in board.sources {
            // The same package and version, already in the store: its pins stand (no download).
            if keepUnchanged, let previous, let old = previous.sources[source.name], old.kind == source.kind, old.package == source.package, old.version == source.version,
               let derivation = previous.sourceDerivation(source.name), store.contains(derivation) {
                log("keeping source \(source.name)'s pins (\(source.package) \(source.version), in the store)")
                lock.sources[source.name] = old
                continue
            }
            log("fetching source \(source.name) (\(source.package) \(source.version))")
            let tmp = store.root.appendingPathComponent(".tmp/source-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: tmp) }
            let files = try SourceFetcher().fetch(source, into: tmp)
            lock.sources[source.name] = LockFile.Source(kind: source.kind, package: source.package, version: source.version, files: files)
            // Keep what was fetched: it is exactly what the lock now pins.
            let derivation = Derivation(name: "source-\(source.name)", kind: .source, fixedOutput: lock.sourceHash(source.name))
            if !store.contains(derivation) {
                try store.install(tmp, as: derivation, seconds: 0, log: nil)
            }
        }
        return lock
    }

    /// The closure mmdebstrap installs for `packages` (made once in a scratch folder), each
    /// package pinned by version and .deb SHA-256.
    func resolve(suite: String, mirror: String, variant: String, packages wanted: [String], what: String) throws -> LockFile.BuildEnvironment {
        let tmp = store.root.appendingPathComponent(".tmp/lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let result = try ProcessRunner(timeout: 3600).run("mmdebstrap", ["--variant=\(variant)", "--include=\(wanted.joined(separator: ","))", suite, tmp.path, mirror])
        guard result.status == 0 else { throw LockError.resolveFailed(what: what, output: ProcessRunner.Result.tail(result.stderrText)) }
        var packages = try BuildEnvironmentBuilder.packageList(root: tmp)
        let hashes = try Self.debHashes(packages)
        for index in packages.indices { packages[index].sha256 = hashes["\(packages[index].name)=\(packages[index].version)"] }
        return LockFile.BuildEnvironment(suite: suite, mirror: mirror, variant: variant, packages: packages)
    }

    /// "name=version" → SHA256 of the .deb, from apt's metadata (one apt-cache call).
    static func debHashes(_ packages: [LockFile.Package]) throws -> [String: String] {
        let result = try ProcessRunner(timeout: 600).run("apt-cache", ["show", "--no-all-versions"] + packages.map { "\($0.name)=\($0.version)" })
        var hashes: [String: String] = [:]
        for record in result.stdoutText.components(separatedBy: "\n\n") {
            var name: String?, version: String?, sha: String?
            for line in record.split(separator: "\n") {
                if line.hasPrefix("Package: ") { name = String(line.dropFirst(9)) }
                if line.hasPrefix("Version: ") { version = String(line.dropFirst(9)) }
                if line.hasPrefix("SHA256: ") { sha = String(line.dropFirst(8)) }
            }
            if let name, let version, let sha { hashes["\(name)=\(version)"] = sha }
        }
        return hashes
    }
}
