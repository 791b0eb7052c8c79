import Foundation
import Support

/// `ownerboot lock`: resolves what a board asks for into exact pins. The build environment's
/// closure is resolved by making it once (mmdebstrap) and reading its package list; each
/// package's .deb SHA-256 comes from Debian's signed metadata (the suite's InRelease, checked
/// with the archive keyring, and the Packages index it lists), which the lock records by hash
/// and the store keeps. Sources are downloaded and hashed (and kept in the store, since their
/// hash is now known).
public struct Locker: Sendable {
    public var store: Store
    public var log: @Sendable (String) -> Void
    public var archives: ArchiveFetcher

    public init(store: Store, log: @escaping @Sendable (String) -> Void = { _ in }, archives: ArchiveFetcher? = nil) {
        self.store = store
        self.log = log
        self.archives = archives ?? ArchiveFetcher(store: store)
    }

    /// `previous`: the board's current lock. With `keepUnchanged`, a part whose request did not
    /// change (the build environment when only `[os]` changed) keeps its pins instead of being
    /// re-resolved against the live mirror, so adding an OS does not move every component.
    public func lock(_ board: Board, previous: LockFile? = nil, keepUnchanged: Bool = false) throws -> LockFile {
        var lock = LockFile(board: board.name, request: LockFile.requestHash(for: board), buildenv: nil, sources: [:])
        // Each suite's current InRelease is fetched once per lock (the build environment and
        // the OS usually share it).
        var archives: [String: LockFile.Archive] = [:]
        if let spec = board.buildEnvironment {
            if keepUnchanged, let old = previous?.buildenv, old.suite == spec.suite, old.mirror == spec.mirror, old.variant == spec.variant,
               Set(spec.packages).isSubset(of: Set(old.packages.map(\.name))), old.packages.allSatisfy({ $0.sha256 != nil }),
               let kept = try keep(old, what: "the build environment", archives: &archives) {
                log("keeping the build environment's \(old.packages.count) pins (unchanged request)")
                lock.buildenv = kept
            } else {
                log("resolving the build environment (\(spec.packages.count) packages asked for)")
                lock.buildenv = try resolve(suite: spec.suite, mirror: spec.mirror, variant: spec.variant, packages: spec.packages, what: "the build environment", archives: &archives)
                log("pinned \(lock.buildenv!.packages.count) packages")
            }
        }
        if let spec = board.os {
            if keepUnchanged, let old = previous?.os, old.suite == spec.suite, old.mirror == spec.mirror, old.variant == spec.variant,
               Set(spec.packages).isSubset(of: Set(old.packages.map(\.name))), old.packages.allSatisfy({ $0.sha256 != nil }),
               let kept = try keep(old, what: "the OS", archives: &archives) {
                log("keeping the OS's \(old.packages.count) pins (unchanged request)")
                lock.os = kept
            } else {
                log("resolving the OS (\(spec.packages.count) packages asked for, \(spec.variant))")
                lock.os = try resolve(suite: spec.suite, mirror: spec.mirror, variant: spec.variant, packages: spec.packages, what: "the OS", archives: &archives)
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

    /// The suite's current signed metadata (fetched, verified and stored once per lock).
    func currentArchive(mirror: String, suite: String, archives: inout [String: LockFile.Archive]) throws -> LockFile.Archive {
        if let known = archives["\(mirror) \(suite)"] { return known }
        let archive = try self.archives.lockCurrent(mirror: mirror, suite: suite, architectures: [try ArchiveFetcher.nativeArchitecture()])
        log("\(suite)'s InRelease \(archive.inRelease.prefix(16))…: signature good, \(archive.indexes.joined(separator: ", ")) kept")
        archives["\(mirror) \(suite)"] = archive
        return archive
    }

    /// An unchanged part's pins as they are when they already carry archive metadata; a lock
    /// written before that gets the suite's current metadata when it lists every pin with the
    /// same hash (nil otherwise: the part is resolved again).
    func keep(_ old: LockFile.BuildEnvironment, what: String, archives: inout [String: LockFile.Archive]) throws -> LockFile.BuildEnvironment? {
        if old.archive != nil { return old }
        var kept = old
        kept.archive = try currentArchive(mirror: old.mirror, suite: old.suite, archives: &archives)
        let index = try ArchiveIndex.verify(store.path(of: kept.archive!.derivation), archive: kept.archive!, suite: old.suite, keyring: self.archives.keyring, packages: old.packages)
        do {
            for package in old.packages { try index.check(package) }
        } catch {
            log("\(what)'s old pins are not all in Debian's current signed index (\((error as? UserFacingError)?.message ?? "\(error)")): resolving again")
            return nil
        }
        log("\(what)'s \(old.packages.count) pins are all in Debian's current signed index: archive metadata added")
        return kept
    }

    /// The closure mmdebstrap installs for `packages` (made once in a scratch folder), each
    /// package pinned by version and by the .deb SHA-256 Debian's signed index lists (the
    /// suite's InRelease and Packages are fetched, verified and stored first, and recorded).
    func resolve(suite: String, mirror: String, variant: String, packages wanted: [String], what: String,
                 archives: inout [String: LockFile.Archive]) throws -> LockFile.BuildEnvironment {
        let archive = try currentArchive(mirror: mirror, suite: suite, archives: &archives)
        let tmp = store.root.appendingPathComponent(".tmp/lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        let result = try ProcessRunner(timeout: 3600).run("mmdebstrap", ["--variant=\(variant)", "--include=\(wanted.joined(separator: ","))", suite, tmp.path, mirror])
        guard result.status == 0 else { throw LockError.resolveFailed(what: what, output: ProcessRunner.Result.tail(result.stderrText)) }
        var packages = try BuildEnvironmentBuilder.packageList(root: tmp)
        let index = try ArchiveIndex.verify(store.path(of: archive.derivation), archive: archive, suite: suite, keyring: self.archives.keyring, packages: packages)
        for position in packages.indices {
            let package = packages[position]
            guard let record = index.records[ArchiveIndex.key(package.name, package.version, package.architecture)] else {
                throw LockError.resolveFailed(what: what, output: "mmdebstrap installed \(package.pin) (\(package.architecture)), which the signed index fetched before it does not list: the mirror changed meanwhile; run `ownerboot lock` again")
            }
            packages[position].sha256 = record.sha256
        }
        return LockFile.BuildEnvironment(suite: suite, mirror: mirror, variant: variant, packages: packages, archive: archive)
    }
}
