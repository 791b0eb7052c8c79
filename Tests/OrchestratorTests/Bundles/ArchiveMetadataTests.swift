import Foundation
import Support
import Testing
@testable import Orchestrator

/// Every .deb is checked against Debian's signed archive metadata (InRelease by the archive
/// keyring, Packages by InRelease, the .deb by Packages) before it is used: fetched, put in a
/// build environment's repository, or imported. The attacker is a mirror (or a man in the
/// middle) for `fetch`, and a bundle's author for `import` (who signs a manifest consistent
/// with whatever the bundle holds, or whose bundle is imported with --allow-unsigned).
@Suite(.serialized) struct ArchiveMetadataTests {
    /// The lock's build environment with another archive (and, optionally, other pins).
    static func env(_ board: OfflineBoard, archive: LockFile.Archive, packages: [LockFile.Package]? = nil) throws -> LockFile.BuildEnvironment {
        var env = try board.lock.buildenv!
        env.archive = archive
        if let packages { env.packages = packages }
        return env
    }

    func fetcher(_ board: OfflineBoard, _ archive: TestArchive, download: PackageFetcher.Downloader? = nil) -> PackageFetcher {
        PackageFetcher(store: board.fixture.store, download: download ?? board.packageDownloader, downloadArchive: archive.downloader, keyring: board.archive.keyring)
    }

    /// Nothing of the lock entered the store.
    func nothingStored(_ board: OfflineBoard, _ archive: LockFile.Archive) -> Bool {
        !board.fixture.store.contains(archive.derivation) && !board.packages.contains { board.fixture.store.contains($0.derivation!) }
    }

    @Test func anInReleaseNotSignedByTheArchiveKeyIsRefused() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let debs = board.packages.map { ($0, board.mirror.appendingPathComponent($0.debFileName)) }
        let noDownload: PackageFetcher.Downloader = { _, _ in Issue.record("a .deb was downloaded before the metadata held") }
        // Signed by a key the keyring does not hold.
        let stranger = try TestArchive(debs: debs, mirror: board.mirror.appendingPathComponent("stranger"), signer: TestArchive.otherHome)
        do {
            try fetcher(board, stranger, download: noDownload).fetch(try Self.env(board, archive: stranger.archive))
            Issue.record("an InRelease signed by another key was accepted")
        } catch let LockError.archiveSignature(detail) {
            #expect(detail.contains("gpgv") && detail.contains("NO_PUBKEY"), "\(detail)")
        }
        #expect(nothingStored(board, stranger.archive))

        // The archive's InRelease with one byte of the signed text changed (a .deb's size the
        // attacker would like bigger): the signature no longer holds.
        let good = try TestArchive(debs: debs, mirror: board.mirror.appendingPathComponent("edited"))
        let inRelease = good.mirror.appendingPathComponent("dists/bookworm/InRelease")
        var text = try String(contentsOf: inRelease, encoding: .utf8)
        text = text.replacingOccurrences(of: "Codename: bookworm", with: "Codename: bookwurm")
        try Data(text.utf8).write(to: inRelease)
        let edited = LockFile.Archive(inRelease: try SHA256Digest.hex(fileAt: inRelease), indexes: good.archive.indexes)
        do {
            try fetcher(board, good, download: noDownload).fetch(try Self.env(board, archive: edited))
            Issue.record("an altered InRelease was accepted")
        } catch let LockError.archiveSignature(detail) {
            #expect(detail.contains("BADSIG"), "\(detail)")
        }

        // Unsigned (the plain Release), or signed with unsigned text after the signature.
        let release = try Data(contentsOf: good.mirror.appendingPathComponent("dists/bookworm/Release"))
        let signed = try Data(contentsOf: board.mirror.appendingPathComponent("dists/bookworm/InRelease"))
        for bytes in [release, signed + Data("\nSHA256:\n 00 1 main/binary-amd64/Packages.xz\n".utf8)] {
            try bytes.write(to: inRelease)
            let archive = LockFile.Archive(inRelease: SHA256Digest.hex(bytes), indexes: good.archive.indexes)
            #expect(throws: LockError.archiveSignature(detail: "InRelease is not one clearsigned block (an unsigned file, or text outside the signature)")) {
                try fetcher(board, good, download: noDownload).fetch(try Self.env(board, archive: archive))
            }
        }

        // Signed by the archive key, but for another suite than the lock's.
        let other = try TestArchive(debs: debs, mirror: board.mirror.appendingPathComponent("trixie"), suite: "trixie")
        #expect(throws: LockError.archiveSignature(detail: "the signed InRelease is for suite oldstable (codename trixie), the lock's suite is bookworm")) {
            _ = try ArchiveIndex.verify(other.mirror.appendingPathComponent("dists/trixie"), archive: other.archive, suite: "bookworm",
                                        keyring: board.archive.keyring, packages: board.packages)
        }
        #expect(!board.packages.contains { board.fixture.store.contains($0.derivation!) })
    }

    @Test func aPackagesIndexWhoseHashDiffersFromInReleaseIsRefused() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        // The mirror serves another index under the signed hash (one more package in it).
        let folder = board.mirror.appendingPathComponent("dists/bookworm/main/binary-amd64")
        let signedHash = try SHA256Digest.hex(fileAt: folder.appendingPathComponent("Packages.xz"))
        let evil = try TestArchive(debs: board.packages.map { ($0, board.mirror.appendingPathComponent($0.debFileName)) },
                                   mirror: board.mirror.appendingPathComponent("evil"), editPackages: { $0 + "Package: extra\nVersion: 1\nArchitecture: all\nSize: 1\nSHA256: 00\n\n" })
        let evilIndex = evil.mirror.appendingPathComponent("dists/bookworm/main/binary-amd64/Packages.xz")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("by-hash/SHA256/\(signedHash)"))
        try FileManager.default.copyItem(at: evilIndex, to: folder.appendingPathComponent("by-hash/SHA256/\(signedHash)"))
        let evilSize = (try FileManager.default.attributesOfItem(atPath: evilIndex.path)[.size] as? NSNumber)!.int64Value
        let signedSize = (try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent("Packages.xz").path)[.size] as? NSNumber)!.int64Value
        do {
            try board.packageFetcher(board.fixture.store).fetch(try board.lock.buildenv!)
            Issue.record("an index InRelease does not vouch for was accepted")
        } catch let LockError.archiveIndexMismatch(file, what, expected, actual) {
            #expect(file == "main/binary-amd64/Packages.xz")
            if evilSize != signedSize {
                #expect(what == "size" && expected == "\(signedSize)" && actual == "\(evilSize)")
            } else {
                #expect(what == "SHA-256" && expected == signedHash)
            }
        }
        #expect(nothingStored(board, board.archive.archive))
    }

    @Test func aDebWhoseHashDiffersFromPackagesIsRefused() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        // A lock (a bundle's, or an edited one) pins another beta: its own bytes, its own hash.
        let evilMirror = board.mirror.appendingPathComponent("evil")
        try FileManager.default.createDirectory(at: evilMirror, withIntermediateDirectories: true)
        let evil = try OfflineBoard.makeDeb(name: "ownerboot-beta", version: "2:0.5", in: evilMirror, note: "not what Debian signed\n")
        let beta = board.packages[1]
        #expect(evil.sha256 != beta.sha256)
        let env = try Self.env(board, archive: board.archive.archive, packages: [board.packages[0], evil])
        #expect(throws: LockError.packageArchiveMismatch(package: beta.pin, what: "the lock's SHA-256", expected: beta.sha256!, actual: evil.sha256!)) {
            try board.packageFetcher(board.fixture.store, download: { _, _ in Issue.record("downloaded a .deb Debian did not sign") }).fetch(env)
        }
        #expect(!board.fixture.store.contains(evil.derivation!))
        // A version the index does not list at all.
        var unlisted = board.packages[0]
        unlisted.version = "9.9"
        #expect(throws: LockError.packageNotInArchive(package: "ownerboot-alpha=9.9 (all)", inRelease: board.archive.archive.inRelease)) {
            try board.packageFetcher(board.fixture.store).fetch(try Self.env(board, archive: board.archive.archive, packages: [unlisted]))
        }
        // The index's record is also held against the bytes: a .deb of the signed hash but
        // another size cannot exist, so check the record directly with a file of other bytes.
        let index = try board.packageFetcher(board.fixture.store).archives.index(for: try board.lock.buildenv!, what: "the build environment")
        let other = evilMirror.appendingPathComponent(evil.debFileName)
        #expect(throws: LockError.self) { try index.check(deb: other, of: beta) }
    }

    /// The attacker's bundle: the board built and exported from a store whose lock pins an
    /// evil beta (what an author with a modified ownerboot, or an edited lock, produces; the
    /// manifest is consistent with it and signed).
    @Test func aBundleWithADebDebianDidNotSignIsRefusedBeforeAnythingRuns() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        try board.fetcher(store).fetch(try board.lock)
        // Swap beta: the .deb in the attacker's store and the pin in the board's lock.
        let beta = board.packages[1]
        let evilMirror = board.mirror.appendingPathComponent("evil")
        try FileManager.default.createDirectory(at: evilMirror, withIntermediateDirectories: true)
        let evil = try OfflineBoard.makeDeb(name: "ownerboot-beta", version: "2:0.5", in: evilMirror, note: "not what Debian signed\n")
        let entry = try store.temporaryDirectory(for: evil.derivation!)
        try FileManager.default.copyItem(at: evilMirror.appendingPathComponent(evil.debFileName), to: entry.appendingPathComponent(evil.debFileName))
        try store.install(entry, as: evil.derivation!, seconds: 0, log: nil)
        var lock = try board.lock
        lock.buildenv!.packages[1] = evil
        try lock.write(to: board.fixture.directory.appendingPathComponent("ownerboot.lock"))
        try OfflineBoard.installBuildEnvironment(for: lock, board: try board.fixture.board, in: store)
        _ = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store))
        let bundle = board.fixture.home.deletingLastPathComponent().appendingPathComponent("evil.bundle")
        _ = try BundleExporter(store: store, signer: BundleTests.sign(BundleTests.key)).export(board: "fixture", to: bundle)

        let victim = try Store(home: board.fixture.home.deletingLastPathComponent().appendingPathComponent("victim"))
        let before = try OfflineBoard.state(of: victim)
        #expect(throws: LockError.packageArchiveMismatch(package: beta.pin, what: "the lock's SHA-256", expected: beta.sha256!, actual: evil.sha256!)) {
            _ = try BundleImporter(store: victim, verifier: BundleTests.verify(BundleTests.key), keyring: board.archive.keyring).importBundle(at: bundle)
        }
        #expect(try OfflineBoard.state(of: victim) == before)
        #expect(try victim.allGenerations().isEmpty)
    }

    /// The attacker signs the archive metadata too (their own key, which their store trusts):
    /// the importer's keyring does not hold it.
    @Test func aBundleWhoseInReleaseIsNotDebiansIsRefused() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let debs = board.packages.map { ($0, board.mirror.appendingPathComponent($0.debFileName)) }
        let forged = try TestArchive(debs: debs, mirror: board.mirror.appendingPathComponent("forged"), signer: TestArchive.otherHome)
        var lock = try board.lock
        lock.buildenv!.archive = forged.archive
        try lock.write(to: board.fixture.directory.appendingPathComponent("ownerboot.lock"))
        // The attacker's own fetch trusts the attacker's key.
        try InputFetcher(store: store, downloadPackages: board.packageDownloader, downloadSource: board.sourceDownloader,
                         downloadArchive: forged.downloader, keyring: TestArchive.otherHome.appendingPathComponent("keyring.gpg")).fetch(lock)
        _ = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store))
        let bundle = board.fixture.home.deletingLastPathComponent().appendingPathComponent("forged.bundle")
        _ = try BundleExporter(store: store, signer: BundleTests.sign(BundleTests.key)).export(board: "fixture", to: bundle)

        let victim = try Store(home: board.fixture.home.deletingLastPathComponent().appendingPathComponent("victim"))
        let before = try OfflineBoard.state(of: victim)
        do {
            _ = try BundleImporter(store: victim, verifier: BundleTests.verify(BundleTests.key), keyring: board.archive.keyring).importBundle(at: bundle)
            Issue.record("a bundle with a forged InRelease was imported")
        } catch let LockError.archiveSignature(detail) {
            #expect(detail.contains("NO_PUBKEY"), "\(detail)")
        }
        #expect(try OfflineBoard.state(of: victim) == before)
    }

    /// A lock written before the metadata was kept still reads, but fetch, the repository and
    /// export refuse it, saying to re-lock (`lock --keep` keeps pins the index still lists).
    @Test func anOldLockMustBeRelocked() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        try board.fetcher(store).fetch(try board.lock)

        var old = try board.lock
        old.buildenv!.archive = nil
        let refusal = LockError.archiveUnpinned(part: "the build environment")
        #expect(refusal.fix!.contains("ownerboot lock --keep"))
        #expect(throws: refusal) { try board.fetcher(store).fetch(old) }
        #expect(throws: refusal) {
            try LocalRepository.make(for: old.buildenv!, store: store, at: store.root.appendingPathComponent(".tmp/repo-old"), keyring: board.archive.keyring)
        }
        // The old lock's JSON (no "archive" key) still reads.
        let url = board.fixture.home.deletingLastPathComponent().appendingPathComponent("old.lock")
        try old.write(to: url)
        #expect(try !String(contentsOf: url, encoding: .utf8).contains("archive"))
        #expect(try LockFile.read(url) == old)

        // A generation built with the old lock (its snapshot holds it) cannot be exported.
        try old.write(to: board.fixture.directory.appendingPathComponent("ownerboot.lock"))
        _ = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: old, store: store))
        #expect(throws: refusal) {
            _ = try BundleExporter(store: store).export(board: "fixture", to: board.fixture.home.deletingLastPathComponent().appendingPathComponent("old.bundle"))
        }
        // (import runs the same check on the bundle's lock: `BundleImporter.check` throws
        // archiveUnpinned before any entry is installed.)
    }

    /// The real thing: bookworm's InRelease as deb.debian.org served it (Tests/Data), checked
    /// with the host's debian-archive-keyring by gpgv; and, when this machine's store holds
    /// the entry qemu-x86's lock records, every pin of that lock against the real index.
    @Test func theRealInReleaseVerifiesWithTheRealKeyring() throws {
        let fixture = RepositoryPaths.root.appendingPathComponent("Tests/Data/debian-bookworm-InRelease")
        let data = try Data(contentsOf: fixture)
        let listed = try ArchiveIndex.signedIndexes(data, suite: "bookworm", keyring: ArchiveIndex.debianKeyring)
        #expect(listed["main/binary-amd64/Packages.xz"] == ArchiveIndex.Record(sha256: "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5", size: 8790396))
        #expect(listed.count > 500)
        // The same bytes with one hash changed inside the signed text: BADSIG.
        var text = String(decoding: data, as: UTF8.self)
        text = text.replacingOccurrences(of: "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c5", with: "9e0b5aabb2465b3d2e7a7fe27f9913846277833f7a2826e7767acccff5b588c6")
        do {
            _ = try ArchiveIndex.signedIndexes(Data(text.utf8), suite: "bookworm", keyring: ArchiveIndex.debianKeyring)
            Issue.record("an altered real InRelease verified")
        } catch let LockError.archiveSignature(detail) {
            #expect(detail.contains("BADSIG"), "\(detail)")
        }
        // Another suite's name is refused even with a good signature.
        #expect(throws: LockError.self) { _ = try ArchiveIndex.signedIndexes(data, suite: "trixie", keyring: ArchiveIndex.debianKeyring) }

        let lock = try LockFile.read(RepositoryPaths.boards.appendingPathComponent("qemu-x86/ownerboot.lock"))
        let store = try Store()
        guard let env = lock.buildenv, let archive = env.archive, store.contains(archive.derivation) else { return }
        let started = Date()
        for part in [lock.buildenv!, lock.os!] {
            let index = try ArchiveIndex.verify(store.path(of: archive.derivation), archive: archive, suite: part.suite, packages: part.packages)
            for package in part.packages { try index.check(package) }
            #expect(index.records.count == part.packages.count)
        }
        print("verified qemu-x86's \(lock.allPackages.count) pins against the real signed index in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        // With every OS .deb stored: the OS repository made through the checked path is the
        // one the store holds (same Packages, byte for byte).
        let os = lock.os!
        guard try PackageFetcher(store: store).missing(os.packages).isEmpty else { return }
        let place = store.root.appendingPathComponent(".tmp/repo-archive-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: place) }
        let made = try LocalRepository.make(for: os, what: "the OS", store: store, at: place)
        let plan = try BuildPlan.make(board: try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86"), lock: lock, store: store)
        if let step = plan.steps.first(where: { $0.derivation.kind == .repository }), store.contains(step.derivation) {
            let same = try Data(contentsOf: made.directory.appendingPathComponent("Packages")) == Data(contentsOf: store.path(of: step.derivation).appendingPathComponent("Packages"))
            #expect(same)
            print("the OS repository made from the checked .debs: \(os.packages.count) packages, Packages identical to \(step.derivation.storeName.prefix(16))…: \(same)")
        }
    }
}
