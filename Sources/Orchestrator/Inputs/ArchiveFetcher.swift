import Foundation
import Support

/// Brings Debian's signed archive metadata (a suite's `InRelease` and the `Packages.xz`
/// indexes it lists) into the store as one fixed-output entry, `<hash>-debian-archive`, and
/// verifies it (`ArchiveIndex`) before anything reads it. `lock` records the suite's current
/// InRelease; `fetch` finds the locked one again (the mirror must still serve an InRelease
/// with that hash; the indexes come by hash) unless the store or an imported bundle has it.
public struct ArchiveFetcher: Sendable {
    /// Downloads one URL into a file; throws when it cannot.
    public typealias Downloader = @Sendable (_ url: String, _ file: URL) throws -> Void

    public var store: Store
    public var download: Downloader
    public var keyring: URL

    public init(store: Store, download: @escaping Downloader = ArchiveFetcher.aptHelperDownload, keyring: URL = ArchiveIndex.debianKeyring) {
        self.store = store
        self.download = download
        self.keyring = keyring
    }

    /// For `ownerboot lock`: downloads the suite's current InRelease and the `main` index of
    /// each architecture, verifies them, keeps them in the store and returns what the lock
    /// records, with the verified records of `packages` (none yet when resolving).
    public func lockCurrent(mirror: String, suite: String, architectures: [String]) throws -> LockFile.Archive {
        let tmp = store.root.appendingPathComponent(".tmp/archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let inRelease = tmp.appendingPathComponent(ArchiveIndex.inReleaseName)
        try download("\(mirror)/dists/\(suite)/InRelease", inRelease)
        let data = try Data(contentsOf: inRelease)
        let listed = try ArchiveIndex.signedIndexes(data, suite: suite, keyring: keyring)
        let archive = LockFile.Archive(inRelease: SHA256Digest.hex(data), indexes: architectures.map { "main/binary-\($0)/Packages.xz" })
        try install(archive, mirror: mirror, suite: suite, inRelease: inRelease, listed: listed)
        return archive
    }

    /// The verified index of `env`'s packages, its metadata brought into the store first when
    /// missing (`downloading`; otherwise a missing entry is an error naming it). A lock
    /// without metadata is refused: it must be re-locked.
    public func index(for env: LockFile.BuildEnvironment, what: String, downloading: Bool = true) throws -> ArchiveIndex {
        guard let archive = env.archive else { throw LockError.archiveUnpinned(part: what) }
        let derivation = archive.derivation
        if !store.contains(derivation) {
            guard downloading else { throw LockError.archiveMetadataMissing(entry: derivation.storeName, file: ArchiveIndex.inReleaseName) }
            let tmp = store.root.appendingPathComponent(".tmp/archive-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: tmp) }
            let inRelease = tmp.appendingPathComponent(ArchiveIndex.inReleaseName)
            do { try download("\(env.mirror)/dists/\(env.suite)/InRelease", inRelease) } catch {
                throw LockError.archiveUnavailable(inRelease: archive.inRelease, detail: "\(error)")
            }
            let data = try Data(contentsOf: inRelease)
            let actual = SHA256Digest.hex(data)
            guard actual == archive.inRelease else {
                throw LockError.archiveUnavailable(inRelease: archive.inRelease, detail: "\(env.mirror) now serves an InRelease with SHA-256 \(actual)")
            }
            try install(archive, mirror: env.mirror, suite: env.suite, inRelease: inRelease, listed: try ArchiveIndex.signedIndexes(data, suite: env.suite, keyring: keyring))
        }
        return try ArchiveIndex.verify(store.path(of: derivation), archive: archive, suite: env.suite, keyring: keyring, packages: env.packages)
    }

    /// Downloads each index by its signed hash beside `inRelease`, checks it and installs the
    /// folder as the archive's entry.
    func install(_ archive: LockFile.Archive, mirror: String, suite: String, inRelease: URL, listed: [String: ArchiveIndex.Record]) throws {
        let derivation = archive.derivation
        try store.withLock(derivation) {
            if store.contains(derivation) { return }
            let entry = try store.temporaryDirectory(for: derivation)
            defer { try? FileManager.default.removeItem(at: entry) }
            try FileManager.default.copyItem(at: inRelease, to: entry.appendingPathComponent(ArchiveIndex.inReleaseName))
            for path in archive.indexes {
                guard ArchiveIndex.isIndexPath(path), let signed = listed[path] else {
                    throw LockError.archiveIndexMismatch(file: path, what: "listing", expected: "listed in InRelease", actual: "not listed")
                }
                let file = entry.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                // By hash (Acquire-By-Hash), so a mirror updated meanwhile still serves it.
                let folder = (path as NSString).deletingLastPathComponent
                do { try download("\(mirror)/dists/\(suite)/\(folder)/by-hash/SHA256/\(signed.sha256)", file) } catch {
                    throw LockError.archiveUnavailable(inRelease: archive.inRelease, detail: "\(path): \(error)")
                }
            }
            // Checked as every later reader checks it, before it becomes an entry.
            _ = try ArchiveIndex.verify(entry, archive: archive, suite: suite, keyring: keyring, packages: [])
            try store.install(entry, as: derivation, seconds: 0, log: nil)
        }
    }

    /// apt's own downloader (its proxy and mirror settings apply).
    public static let aptHelperDownload: Downloader = { url, file in
        let result = try ProcessRunner(timeout: 600).run("/usr/lib/apt/apt-helper", ["download-file", url, file.path])
        guard result.status == 0, FileManager.default.fileExists(atPath: file.path) else {
            throw LockError.archiveUnavailable(inRelease: "-", detail: "could not download \(url):\n" + ProcessRunner.Result.tail(result.stderrText + result.stdoutText))
        }
    }

    /// The architecture apt installs for (`dpkg --print-architecture`).
    public static func nativeArchitecture() throws -> String {
        try ProcessRunner().checked("dpkg", ["--print-architecture"]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
