import Foundation
import Support

/// Brings a lock's pinned .debs into the store, each as its own entry (`<hash>-deb-<file>`,
/// one file). Every pin is first checked against Debian's signed archive metadata
/// (`ArchiveFetcher`, `ArchiveIndex`: InRelease signed by the archive keyring, Packages by the
/// hash InRelease lists); a .deb is downloaded into a temporary folder, hashed and compared
/// with the lock's SHA-256 and the signed index's size and SHA-256, and only then moved into
/// the store: a wrong or partial download never becomes an entry. Packages already in the
/// store are not downloaded again.
public struct PackageFetcher: Sendable {
    /// Downloads `packages` into `directory`, each under its `debFileName`. Throws naming the
    /// package it could not get.
    public typealias Downloader = @Sendable (_ packages: [LockFile.Package], _ directory: URL) throws -> Void

    public var store: Store
    public var download: Downloader
    /// Gets the archive metadata when the store lacks it, and verifies it.
    public var archives: ArchiveFetcher

    public init(store: Store, download: @escaping Downloader = PackageFetcher.aptDownload,
                downloadArchive: @escaping ArchiveFetcher.Downloader = ArchiveFetcher.aptHelperDownload, keyring: URL = ArchiveIndex.debianKeyring) {
        self.store = store
        self.download = download
        self.archives = ArchiveFetcher(store: store, download: downloadArchive, keyring: keyring)
    }

    public struct Summary: Sendable, Codable, Equatable {
        /// Packages that were downloaded now, and their size in bytes.
        public var fetched: Int
        public var fetchedBytes: Int64
        /// Packages the store already held.
        public var present: Int
        /// The size of every pinned .deb in the store.
        public var totalBytes: Int64
    }

    /// Every package of `envs` (each once) with the verified index that vouches for it; every
    /// pin checked against it. `envs` are (what, environment): "the build environment", "the OS".
    public func verified(_ envs: [(what: String, env: LockFile.BuildEnvironment)]) throws -> [(package: LockFile.Package, index: ArchiveIndex)] {
        var seen: Set<String> = []
        var result: [(package: LockFile.Package, index: ArchiveIndex)] = []
        for (what, env) in envs {
            for package in env.packages where package.derivation == nil { throw LockError.packageUnpinned(package: package.pin) }
            let index = try archives.index(for: env, what: what)
            for package in env.packages where seen.insert(package.derivation!.hash).inserted {
                try index.check(package)
                result.append((package, index))
            }
        }
        return result
    }

    /// The pinned packages whose store entry is missing (all must be pinned by hash).
    public func missing(_ packages: [LockFile.Package]) throws -> [LockFile.Package] {
        try packages.filter { package in
            guard let derivation = package.derivation else { throw LockError.packageUnpinned(package: package.pin) }
            return !store.contains(derivation)
        }
    }

    /// `fetch` of one environment.
    @discardableResult
    public func fetch(_ env: LockFile.BuildEnvironment, what: String = "the build environment", progress: ProgressSink = { _ in }) throws -> Summary {
        try fetch([(what, env)], progress: progress)
    }

    /// Makes sure every package has its store entry; downloads only the missing ones.
    @discardableResult
    public func fetch(_ envs: [(what: String, env: LockFile.BuildEnvironment)], progress: ProgressSink = { _ in }) throws -> Summary {
        let verified = try self.verified(envs)
        let packages = verified.map(\.package)
        let indexes = Dictionary(uniqueKeysWithValues: verified.map { ($0.package.derivation!.hash, $0.index) })
        let missing = try self.missing(packages)
        var summary = Summary(fetched: 0, fetchedBytes: 0, present: packages.count - missing.count, totalBytes: 0)
        if !missing.isEmpty {
            let task = "fetch packages"
            let started = Date()
            progress(ProgressEvent(task: task, phase: .started, done: 0, total: Int64(missing.count), unit: "packages",
                                   detail: "downloading \(missing.count) of \(packages.count) .debs"))
            let tmp = store.root.appendingPathComponent(".tmp/debs-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: tmp) }
            do { try download(missing, tmp) } catch {
                progress(ProgressEvent(task: task, phase: .failed, detail: "\(error)", elapsed: Date().timeIntervalSince(started)))
                throw error
            }
            for (index, package) in missing.enumerated() {
                let size = try install(package, index: indexes[package.derivation!.hash]!, downloadedIn: tmp)
                summary.fetched += 1
                summary.fetchedBytes += size
                progress(ProgressEvent(task: task, phase: .progress, done: Int64(index + 1), total: Int64(missing.count), unit: "packages",
                                       detail: package.debFileName, elapsed: Date().timeIntervalSince(started)))
            }
            progress(ProgressEvent(task: task, phase: .finished, done: Int64(missing.count), total: Int64(missing.count), unit: "packages",
                                   detail: "\(summary.fetchedBytes) bytes", elapsed: Date().timeIntervalSince(started)))
        }
        for package in packages {
            summary.totalBytes += (try store.output(hash: package.derivation!.hash))?.size ?? 0
        }
        return summary
    }

    /// Checks one downloaded .deb against the lock and the signed index and moves it into the
    /// store; returns its size.
    func install(_ package: LockFile.Package, index: ArchiveIndex, downloadedIn directory: URL) throws -> Int64 {
        let derivation = package.derivation!
        let file = directory.appendingPathComponent(package.debFileName)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw LockError.packageUnavailable(package: package.pin, output: "the download left no \(package.debFileName)")
        }
        let actual = try SHA256Digest.hex(fileAt: file)
        guard actual == package.sha256 else {
            throw LockError.packageMismatch(package: package.pin, file: package.debFileName, expected: package.sha256!, actual: actual)
        }
        try index.check(deb: file, of: package)
        let size = Int64((try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0)
        try store.withLock(derivation) {
            if store.contains(derivation) { return }
            let entry = try store.temporaryDirectory(for: derivation)
            defer { try? FileManager.default.removeItem(at: entry) }
            try FileManager.default.moveItem(at: file, to: entry.appendingPathComponent(package.debFileName))
            try store.install(entry, as: derivation, seconds: 0, log: nil)
        }
        return size
    }

    /// The path of a package's .deb in the store, checked against the lock's SHA-256 and the
    /// signed index's record (a stored copy that changed since is refused, naming it).
    public func storedDeb(_ package: LockFile.Package, index: ArchiveIndex) throws -> URL {
        guard let derivation = package.derivation else { throw LockError.packageUnpinned(package: package.pin) }
        let file = store.path(of: derivation).appendingPathComponent(package.debFileName)
        guard store.contains(derivation), FileManager.default.fileExists(atPath: file.path) else {
            throw LockError.packageMissing(package: package.pin, entry: derivation.storeName)
        }
        let actual = try SHA256Digest.hex(fileAt: file)
        guard actual == package.sha256 else {
            throw LockError.packageMismatch(package: package.pin, file: file.path, expected: package.sha256!, actual: actual)
        }
        try index.check(deb: file, of: package)
        return file
    }

    /// `apt-get download` of every package in one call; if that fails, one by one, so the
    /// error names the package apt could not get.
    public static let aptDownload: Downloader = { packages, directory in
        let runner = ProcessRunner(workingDirectory: directory, timeout: 3600)
        let pins = packages.map { package in
            package.architecture == "all" ? package.pin : "\(package.name):\(package.architecture)=\(package.version)"
        }
        let batch = try runner.run("apt-get", ["download", "-qq"] + pins)
        if batch.status == 0 { return }
        for (package, pin) in zip(packages, pins) where !FileManager.default.fileExists(atPath: directory.appendingPathComponent(package.debFileName).path) {
            let one = try runner.run("apt-get", ["download", "-qq", pin])
            guard one.status == 0 else {
                throw LockError.packageUnavailable(package: package.pin, output: ProcessRunner.Result.tail(one.stderrText + one.stdoutText))
            }
        }
    }
}
