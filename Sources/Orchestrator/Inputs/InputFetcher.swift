import Foundation
import Support

/// `ownerboot fetch`: brings every input a lock pins into the store — Debian's signed archive
/// metadata and each .deb of the build environment and OS (`PackageFetcher`), and each source
/// (`SourceFetcher`) — each checked against the lock (the .debs also against the signed index)
/// before it becomes a store entry. Afterwards a build of that lock needs no network: the
/// build environment is assembled from the stored .debs, the sources are already there.
public struct InputFetcher: Sendable {
    /// Downloads one source into an empty folder and checks it against the lock.
    public typealias SourceDownloader = @Sendable (_ spec: SourceSpec, _ locked: LockFile.Source, _ directory: URL) throws -> Void

    public var store: Store
    public var downloadPackages: PackageFetcher.Downloader
    public var downloadSource: SourceDownloader
    public var downloadArchive: ArchiveFetcher.Downloader
    /// The keyring Debian's InRelease must be signed with.
    public var keyring: URL

    public init(store: Store, downloadPackages: @escaping PackageFetcher.Downloader = PackageFetcher.aptDownload,
                downloadSource: @escaping SourceDownloader = { spec, locked, directory in try SourceFetcher().fetch(spec, locked: locked, into: directory) },
                downloadArchive: @escaping ArchiveFetcher.Downloader = ArchiveFetcher.aptHelperDownload, keyring: URL = ArchiveIndex.debianKeyring) {
        self.store = store
        self.downloadPackages = downloadPackages
        self.downloadSource = downloadSource
        self.downloadArchive = downloadArchive
        self.keyring = keyring
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var board: String
        public var packages: PackageFetcher.Summary
        public var sourcesFetched: [String]
        public var sourcesPresent: [String]
        /// Bytes downloaded now (packages and sources).
        public var fetchedBytes: Int64
        /// The size of every input of the lock in the store.
        public var totalBytes: Int64
    }

    public func fetch(_ lock: LockFile, progress: ProgressSink = { _ in }) throws -> Summary {
        guard let env = lock.buildenv else { throw LockError.unreadable(path: "\(lock.board)/ownerboot.lock", reason: "it pins no build environment") }
        let envs = [("the build environment", env)] + (lock.os.map { [("the OS", $0)] } ?? [])
        let packages = try PackageFetcher(store: store, download: downloadPackages, downloadArchive: downloadArchive, keyring: keyring).fetch(envs, progress: progress)
        var summary = Summary(board: lock.board, packages: packages, sourcesFetched: [], sourcesPresent: [],
                              fetchedBytes: packages.fetchedBytes, totalBytes: packages.totalBytes)
        for name in lock.sources.keys.sorted() {
            let locked = lock.sources[name]!
            let derivation = lock.sourceDerivation(name)!
            let task = "fetch \(name)"
            if store.contains(derivation) {
                summary.sourcesPresent.append(name)
            } else {
                let started = Date()
                progress(ProgressEvent(task: task, phase: .started, detail: "\(locked.package) \(locked.version)"))
                let spec = SourceSpec(name: name, kind: locked.kind, package: locked.package, version: locked.version)
                try store.withLock(derivation) {
                    if store.contains(derivation) { return }
                    let tmp = try store.temporaryDirectory(for: derivation)
                    defer { try? FileManager.default.removeItem(at: tmp) }
                    do { try downloadSource(spec, locked, tmp) } catch {
                        progress(ProgressEvent(task: task, phase: .failed, detail: "\(error)", elapsed: Date().timeIntervalSince(started)))
                        throw error
                    }
                    try store.install(tmp, as: derivation, seconds: Date().timeIntervalSince(started), log: nil)
                }
                let size = try store.output(hash: derivation.hash)?.size ?? 0
                summary.sourcesFetched.append(name)
                summary.fetchedBytes += size
                progress(ProgressEvent(task: task, phase: .finished, done: size, total: size, unit: "bytes", elapsed: Date().timeIntervalSince(started)))
            }
            summary.totalBytes += try store.output(hash: derivation.hash)?.size ?? 0
        }
        return summary
    }
}
