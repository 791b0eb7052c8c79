import Foundation
import Support
import Testing
@testable import Orchestrator

/// .debs as store entries (checked before they enter), the local repository a build
/// environment is made from, `fetch` and `store gc`.
@Suite(.serialized) struct OfflineInputsTests {
    @Test func aDebEntersTheStoreOnlyWhenItMatchesTheLock() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let beta = board.packages[1]
        // The mirror now serves other bytes for beta than were locked.
        let good = try Data(contentsOf: board.mirror.appendingPathComponent(beta.debFileName))
        var bad = good
        bad[bad.count / 2] ^= 0xFF
        try bad.write(to: board.mirror.appendingPathComponent(beta.debFileName))
        do {
            try board.packageFetcher(store).fetch(try board.lock.buildenv!)
            Issue.record("a .deb with other bytes than the lock pins was accepted")
        } catch let LockError.packageMismatch(package, file, expected, actual) {
            #expect(package == beta.pin)
            #expect(file == "ownerboot-beta_2%3a0.5_all.deb")
            #expect(expected == beta.sha256)
            #expect(actual == SHA256Digest.hex(bad))
        }
        #expect(!store.contains(beta.derivation!))

        // A version the mirror no longer serves is named too.
        try FileManager.default.removeItem(at: board.mirror.appendingPathComponent(beta.debFileName))
        #expect(throws: LockError.packageUnavailable(package: beta.pin, output: "not on the test mirror")) {
            try board.packageFetcher(store).fetch(try board.lock.buildenv!)
        }

        // The locked bytes are accepted, each as one file named by its hash.
        try good.write(to: board.mirror.appendingPathComponent(beta.debFileName))
        let summary = try board.packageFetcher(store).fetch(try board.lock.buildenv!)
        #expect(summary.fetched == 1 && summary.present == 1)
        for package in board.packages {
            let folder = store.path(of: package.derivation!)
            #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == [package.debFileName])
            #expect(try SHA256Digest.hex(fileAt: folder.appendingPathComponent(package.debFileName)) == package.sha256)
        }
        // Nothing is downloaded again.
        let again = try board.packageFetcher(store, download: { _, _ in Issue.record("downloaded again") }).fetch(try board.lock.buildenv!)
        #expect(again.fetched == 0 && again.present == 2)
        #expect(again.totalBytes == Int64(good.count) + Int64(try Data(contentsOf: board.mirror.appendingPathComponent(board.packages[0].debFileName)).count))
    }

    @Test func theLocalRepositoryHoldsExactlyTheStoredPinnedDebs() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let env = try board.lock.buildenv!
        let place = { store.root.appendingPathComponent(".tmp/repo-\(UUID().uuidString)") }
        let keyring = board.archive.keyring
        // Nothing fetched yet: the build environment cannot be made, and says what is missing:
        // first Debian's signed metadata, then (with it) the .deb.
        #expect(throws: LockError.archiveMetadataMissing(entry: board.archive.archive.derivation.storeName, file: "InRelease")) {
            try LocalRepository.make(for: env, store: store, at: place(), keyring: keyring)
        }
        _ = try board.packageFetcher(store).archives.index(for: env, what: "the build environment")
        #expect(throws: LockError.packageMissing(package: board.packages[0].pin, entry: board.packages[0].derivation!.storeName)) {
            try LocalRepository.make(for: env, store: store, at: place(), keyring: keyring)
        }
        try board.packageFetcher(store).fetch(env)
        let repository = try LocalRepository.make(for: env, store: store, at: place(), keyring: keyring)
        #expect(try repository.indexedPackages() == env.packages.map(\.pin).sorted())
        let release = try String(contentsOf: repository.directory.appendingPathComponent("Release"), encoding: .utf8)
        #expect(release.contains("Suite: bookworm\n") && release.contains("Codename: bookworm\n"))
        #expect(repository.sourcesLine == "deb [trusted=yes] file://\(repository.directory.path) ./")

        // A stored .deb whose bytes changed since is refused, naming it.
        let stored = store.path(of: env.packages[1].derivation!).appendingPathComponent(env.packages[1].debFileName)
        try store.makeWritable(stored.deletingLastPathComponent())
        try Data("not a deb".utf8).write(to: stored)
        do {
            _ = try LocalRepository.make(for: env, store: store, at: place(), keyring: keyring)
            Issue.record("a changed .deb went into the repository")
        } catch let LockError.packageMismatch(package, file, _, _) {
            #expect(package == env.packages[1].pin)
            #expect(file == stored.path)
        }
    }

    @Test func fetchBringsEveryInputSoTheBuildNeedsNoMirror() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let lock = try board.lock
        let summary = try board.fetcher(store).fetch(lock)
        #expect(summary.packages.fetched == 2 && summary.sourcesFetched == ["notes"])
        #expect(summary.totalBytes > 0 && summary.totalBytes == summary.fetchedBytes)
        // The mirror is gone; the build still finds everything (the sandbox has no network).
        try FileManager.default.removeItem(at: board.mirror)
        let built = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store))
        #expect(built.built.contains("uses-notes"))
        let copied = try SHA256Digest.hex(fileAt: URL(fileURLWithPath: built.outputs["uses-notes"]!).appendingPathComponent("notes.deb"))
        #expect(copied == board.sourceFile.sha256)
        let second = try board.fetcher(store).fetch(lock)
        #expect(second.fetchedBytes == 0 && second.sourcesPresent == ["notes"] && second.totalBytes == summary.totalBytes)
    }

    @Test func gcKeepsWhatEveryGenerationNeedsToBeRebuilt() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let lock = try board.lock
        try board.fetcher(store).fetch(lock)
        _ = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store))
        // A .deb (and its archive metadata) no generation's lock pins: garbage.
        let strayMirror = board.mirror.appendingPathComponent("stray")
        try FileManager.default.createDirectory(at: strayMirror, withIntermediateDirectories: true)
        let stray = try OfflineBoard.makeDeb(name: "ownerboot-stray", version: "1", in: strayMirror)
        let strayArchive = try TestArchive(debs: [(stray, strayMirror.appendingPathComponent(stray.debFileName))], mirror: strayMirror)
        let strayEnv = LockFile.BuildEnvironment(suite: "bookworm", mirror: "http://deb.debian.org/debian", variant: "buildd", packages: [stray], archive: strayArchive.archive)
        try PackageFetcher(store: store, download: { packages, directory in
            for package in packages { try FileManager.default.copyItem(at: strayMirror.appendingPathComponent(package.debFileName), to: directory.appendingPathComponent(package.debFileName)) }
        }, downloadArchive: strayArchive.downloader, keyring: strayArchive.keyring).fetch(strayEnv)
        let pinned = GenerationInputs.pinnedEntries(of: lock)
        #expect(pinned.count == 4)
        #expect(try GenerationInputs.live(in: store).isSuperset(of: pinned.map(\.hash)))

        let (removed, freed) = try GenerationInputs.collectGarbage(store)
        // The stray .deb goes, and so does the fixture's first build environment (of a lock
        // no generation was built with); everything the generation's lock pins stays.
        let unusedEnvironment = Derivation(name: "buildenv", kind: .buildEnvironment, fixedOutput: try board.fixture.lock.buildEnvironmentHash).storeName
        #expect(Set(removed) == [stray.derivation!.storeName, strayArchive.archive.derivation.storeName, unusedEnvironment])
        #expect(freed > 0)
        #expect(pinned.allSatisfy(store.contains))
        #expect(!store.contains(stray.derivation!))
        // The control: the generation records alone do not name the .debs, so a collection
        // that ignored the locks would have removed them.
        _ = try store.collectGarbage()
        #expect(!board.packages.contains { store.contains($0.derivation!) })
    }
}

/// What the offline install leaves in a build environment's root is cleaned of host paths.
@Suite struct BuildEnvironmentCleanupTests {
    @Test func theRepositorysHostPathLeavesTheRootButPackagedFoldersStay() throws {
        let base = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let root = base.appendingPathComponent("root")
        let fm = FileManager.default
        // A dpkg database in which base-files owns /var/tmp (as in every Debian root).
        try fm.createDirectory(at: root.appendingPathComponent("var/lib/dpkg/info"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("etc/apt"), withIntermediateDirectories: true)
        try Data("Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\nMaintainer: x <x@invalid>\nDescription: x\n\n".utf8)
            .write(to: root.appendingPathComponent("var/lib/dpkg/status"))
        try Data("/.\n/var\n/var/tmp\n".utf8).write(to: root.appendingPathComponent("var/lib/dpkg/info/base-files.list"))
        // The hook's mount point: the repository's host path, recreated inside the root.
        let repository = LocalRepository(directory: URL(fileURLWithPath: "/var/tmp/ownerboot-home/store/.tmp/repo-1"))
        try fm.createDirectory(at: root.appendingPathComponent("var/tmp/ownerboot-home/store/.tmp/repo-1"), withIntermediateDirectories: true)
        try Data(repository.sourcesLine.utf8).write(to: root.appendingPathComponent("etc/apt/sources.list"))
        let env = LockFile.BuildEnvironment(suite: "bookworm", mirror: "http://deb.debian.org/debian", variant: "buildd", packages: [])

        try BuildEnvironmentBuilder.forgetRepository(repository, root: root, env: env)
        #expect(try fm.contentsOfDirectory(atPath: root.appendingPathComponent("var/tmp").path).isEmpty)
        #expect(try String(contentsOf: root.appendingPathComponent("etc/apt/sources.list"), encoding: .utf8) == "deb http://deb.debian.org/debian bookworm main\n")
        // The control: a folder of the path that holds something else stays (only empty ones go).
        try fm.createDirectory(at: root.appendingPathComponent("var/tmp/ownerboot-home/store/.tmp/repo-1"), withIntermediateDirectories: true)
        try Data("kept".utf8).write(to: root.appendingPathComponent("var/tmp/ownerboot-home/keep"))
        try BuildEnvironmentBuilder.forgetRepository(repository, root: root, env: env)
        #expect(try fm.contentsOfDirectory(atPath: root.appendingPathComponent("var/tmp/ownerboot-home").path) == ["keep"])
    }
}
