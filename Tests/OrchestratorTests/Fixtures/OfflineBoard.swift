import Foundation
import Support
@testable import Orchestrator

/// The fixture board with fixed-output inputs of its own: two real (tiny) .debs pinned in the
/// lock by SHA-256, and a source (`notes`, a .deb fetched as a file) that a component copies.
/// Its "mirror" is a local folder handed to the fetchers as downloaders, so tests use no
/// network. The build environment itself stays the fixture's host-/usr root (installed per
/// store by `installBuildEnvironment`); `scripts/e2e-offline.sh` proves the real one.
struct OfflineBoard {
    let fixture: FixtureBoard
    /// What the "mirror" serves: the .debs and the source file.
    let mirror: URL
    let packages: [LockFile.Package]
    let sourceFile: LockFile.SourceFile
    /// Debian's signed metadata for `packages`, served by the same mirror.
    let archive: TestArchive

    static let boardToml = FixtureBoard.boardToml + """


        [sources.notes]
        kind = "debian-binary"
        package = "ownerboot-notes"
        version = "1.0"

        [components.uses-notes]
        builder = "uses-notes.sh"
        inputs = ["notes"]
        """

    init() throws {
        fixture = try FixtureBoard()
        mirror = fixture.home.deletingLastPathComponent().appendingPathComponent("mirror")
        try FileManager.default.createDirectory(at: mirror, withIntermediateDirectories: true)
        var packages: [LockFile.Package] = []
        for (name, version) in [("ownerboot-alpha", "1.0-1"), ("ownerboot-beta", "2:0.5")] {
            packages.append(try Self.makeDeb(name: name, version: version, in: mirror))
        }
        self.packages = packages
        let mirror = self.mirror
        archive = try TestArchive(debs: packages.map { ($0, mirror.appendingPathComponent($0.debFileName)) }, mirror: mirror)
        let source = try Self.makeDeb(name: "ownerboot-notes", version: "1.0", in: mirror)
        sourceFile = LockFile.SourceFile(name: source.debFileName, sha256: source.sha256!)
        try fixture.write("board.toml", Self.boardToml)
        try fixture.write("uses-notes.sh", "cp /inputs/notes/*.deb /out/notes.deb\n")
        try lock.write(to: fixture.directory.appendingPathComponent("ownerboot.lock"))
        try Self.installBuildEnvironment(for: try lock, board: try fixture.board, in: fixture.store)
    }

    func remove() { fixture.remove() }

    var lock: LockFile {
        get throws {
            LockFile(board: "fixture", request: LockFile.requestHash(for: try fixture.board),
                     buildenv: .init(suite: "bookworm", mirror: "http://deb.debian.org/debian", variant: "buildd", packages: packages, archive: archive.archive),
                     sources: ["notes": .init(kind: .debianBinary, package: "ownerboot-notes", version: "1.0", files: [sourceFile])])
        }
    }

    /// A real .deb (dpkg-deb) holding one file; returns its lock entry.
    static func makeDeb(name: String, version: String, in directory: URL, note: String? = nil) throws -> LockFile.Package {
        let root = directory.appendingPathComponent("build-\(name)")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("DEBIAN"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("usr/share/\(name)"), withIntermediateDirectories: true)
        try Data("Package: \(name)\nVersion: \(version)\nArchitecture: all\nMaintainer: ownerboot tests <tests@invalid>\nDescription: test package\n".utf8)
            .write(to: root.appendingPathComponent("DEBIAN/control"))
        try Data((note ?? "\(name) \(version)\n").utf8).write(to: root.appendingPathComponent("usr/share/\(name)/note"))
        var package = LockFile.Package(name: name, version: version, architecture: "all", sha256: nil)
        let deb = directory.appendingPathComponent(package.debFileName)
        try ProcessRunner().checked("dpkg-deb", ["--root-owner-group", "-Zgzip", "--build", root.path, deb.path])
        try FileManager.default.removeItem(at: root)
        package.sha256 = try SHA256Digest.hex(fileAt: deb)
        return package
    }

    /// Copies from the local mirror, as `apt-get download` would from a real one.
    var packageDownloader: PackageFetcher.Downloader {
        let mirror = self.mirror
        return { packages, directory in
            for package in packages {
                let file = mirror.appendingPathComponent(package.debFileName)
                guard FileManager.default.fileExists(atPath: file.path) else {
                    throw LockError.packageUnavailable(package: package.pin, output: "not on the test mirror")
                }
                try FileManager.default.copyItem(at: file, to: directory.appendingPathComponent(package.debFileName))
            }
        }
    }

    var sourceDownloader: InputFetcher.SourceDownloader {
        let mirror = self.mirror
        return { spec, locked, directory in
            for file in locked.files {
                try FileManager.default.copyItem(at: mirror.appendingPathComponent(file.name), to: directory.appendingPathComponent(file.name))
            }
        }
    }

    func fetcher(_ store: Store) -> InputFetcher {
        InputFetcher(store: store, downloadPackages: packageDownloader, downloadSource: sourceDownloader, downloadArchive: archive.downloader, keyring: archive.keyring)
    }

    /// A package fetcher for this board's mirror and archive keyring.
    func packageFetcher(_ store: Store, download: PackageFetcher.Downloader? = nil) -> PackageFetcher {
        PackageFetcher(store: store, download: download ?? packageDownloader, downloadArchive: archive.downloader, keyring: archive.keyring)
    }

    /// The fixture's host-/usr build environment under this lock's buildenv hash.
    static func installBuildEnvironment(for lock: LockFile, board: Board, in store: Store) throws {
        let env = try BuildPlan.make(board: board, lock: lock, store: store).steps[0].derivation
        guard !store.contains(env) else { return }
        let root = try store.temporaryDirectory(for: env)
        for dir in ["usr", "etc", "inputs", "build", "out", "tmp", "proc", "dev"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        for link in ["bin", "sbin", "lib", "lib64"] {
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(link).path, withDestinationPath: "usr/\(link)")
        }
        try store.install(root, as: env, seconds: 0, log: nil)
    }

    /// Everything a refused import must leave untouched: the entries on disk, the index and
    /// the generation records.
    static func state(of store: Store) throws -> [String] {
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.root.path).filter { !$0.hasPrefix(".") }.sorted()
        let outputs = try store.outputs().map { "\($0.hash) \($0.contentHash)" }.sorted()
        let generations = try store.allGenerations().map { "\($0.board) \($0.number) \($0.setHash) \($0.derivations.count)" }
        let tmp = try FileManager.default.contentsOfDirectory(atPath: store.root.appendingPathComponent(".tmp").path)
        return entries + ["--"] + outputs + ["--"] + generations + ["-- tmp"] + tmp
    }
}
