import Foundation
import Support
import Testing
@testable import Orchestrator

/// The builder/bundle-author position (DESIGN's attacker table) against board snapshots: a link
/// in a board or recipe folder must not carry a file from elsewhere on the host (the owner's
/// key) into a snapshot, and a link loop must end. Each attack sits beside the success it
/// guards; after each refusal the store holds no snapshot.
@Suite struct SnapshotLinkAttackTests {
    /// The fixture board and a stand-in for the owner's secret key beside its boards folder, as
    /// ~/.local/share/ownerboot/keys/owner.key is beside a checkout.
    func fixture() throws -> (FixtureBoard, key: URL) {
        let fixture = try FixtureBoard()
        let key = fixture.home.appendingPathComponent("keys/owner.key")
        try FileManager.default.createDirectory(at: key.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("untrusted comment: minisign encrypted secret key\nRWRTY0Iy-secret\n".utf8).write(to: key)
        return (fixture, key)
    }

    func link(_ fixture: FixtureBoard, _ name: String, to target: String) throws {
        let url = fixture.directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: url.path, withDestinationPath: target)
    }

    func snapshots(_ store: Store) throws -> [String] { try store.outputs().filter { $0.kind == "board" }.map(\.hash) }

    @Test func aLinkInsideTheBoardsFolderIsCopiedAsItsFileAndTheHashIsTheCopysHash() throws {
        let (fixture, _) = try fixture()
        defer { fixture.remove() }
        let plain = try BoardSnapshot.take(try fixture.board, store: fixture.store)
        // The same note reached through links: one in the board's folder, one to a shared
        // folder beside it in the boards folder, and a folder link.
        try FileManager.default.createDirectory(at: fixture.boards.appendingPathComponent("shared"), withIntermediateDirectories: true)
        try Data("shared\n".utf8).write(to: fixture.boards.appendingPathComponent("shared/common.txt"))
        try link(fixture, "again.txt", to: "note.txt")
        try link(fixture, "common.txt", to: "../shared/common.txt")
        try link(fixture, "sub/shared", to: "../../shared")
        let linked = try BoardSnapshot.take(try fixture.board, store: fixture.store)
        let folder = fixture.store.path(of: linked).appendingPathComponent("fixture")
        for (name, text) in [("again.txt", "independent\n"), ("common.txt", "shared\n"), ("sub/shared/common.txt", "shared\n")] {
            var info = stat()
            #expect(lstat(folder.appendingPathComponent(name).path, &info) == 0 && info.st_mode & S_IFMT == S_IFREG, "\(name) is not a plain file")
            #expect(try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) == text)
        }
        // Stored as plain files: the hash is that of a folder holding copies, no link at all.
        for name in ["again.txt", "common.txt", "sub/shared"] { try FileManager.default.removeItem(at: fixture.directory.appendingPathComponent(name)) }
        try Data("independent\n".utf8).write(to: fixture.directory.appendingPathComponent("again.txt"))
        try Data("shared\n".utf8).write(to: fixture.directory.appendingPathComponent("common.txt"))
        try FileManager.default.createDirectory(at: fixture.directory.appendingPathComponent("sub/shared"), withIntermediateDirectories: true)
        try Data("shared\n".utf8).write(to: fixture.directory.appendingPathComponent("sub/shared/common.txt"))
        #expect(try BoardSnapshot.take(try fixture.board, store: fixture.store) == linked)
        #expect(plain != linked)
    }

    @Test func aLinkToTheOwnersKeyIsRefusedNamingTheLinkAndItsTarget() throws {
        let (fixture, key) = try fixture()
        defer { fixture.remove() }
        #expect(try BoardSnapshot.take(try fixture.board, store: fixture.store).kind == .boardSnapshot)  // the control
        let before = try snapshots(fixture.store)
        for (name, target) in [("owner.key", key.path),                                  // absolute
                               ("notes/owner.key", "../../../home/keys/owner.key"),         // relative, climbing out
                               ("keys", "../../home/keys")] {                               // a folder link out
            try link(fixture, name, to: target)
            do {
                _ = try BoardSnapshot.take(try fixture.board, store: fixture.store)
                Issue.record("a link to \(target) was copied into a snapshot")
            } catch let error as BoardError {
                guard case .linkLeavesFolder(let path, let shown, let folder) = error else { Issue.record("refused for another reason: \(error)"); continue }
                #expect(path == fixture.directory.appendingPathComponent(name).path && shown == target && folder == fixture.boards.path)
                #expect(error.message.contains(target) && error.fix?.contains("secrets") == true)
            }
            #expect(try snapshots(fixture.store) == before, "the store changed")
            try FileManager.default.removeItem(at: fixture.directory.appendingPathComponent(name.split(separator: "/").first.map(String.init)!))
        }
    }

    @Test func aPlanRefusesALinkToTheOwnersKeyBeforeAnyBuilderRuns() throws {
        // The snapshot is taken after a build; the builder would have had the key bound into
        // its sandbox by then. The plan refuses it first (BuildPlan.make).
        let (fixture, key) = try fixture()
        defer { fixture.remove() }
        #expect(try !fixture.plan().steps.isEmpty)  // the control
        try link(fixture, "owner.key", to: key.path)
        do {
            _ = try fixture.plan()
            Issue.record("a plan accepted a link to the owner's key")
        } catch let error as BoardError {
            guard case .linkLeavesFolder(let path, let target, _) = error else { Issue.record("refused for another reason: \(error)"); return }
            #expect(path == fixture.directory.appendingPathComponent("owner.key").path && target == key.path)
        }
        #expect(try snapshots(fixture.store).isEmpty)
    }

    @Test func linkLoopsEndWithAnErrorNamingTheLink() throws {
        let (fixture, _) = try fixture()
        defer { fixture.remove() }
        let before = try snapshots(fixture.store)
        for (name, target) in [("self", "self"), ("a", "b"), ("sub/up", ".."), ("sub/top", "../..")] {
            if name == "a" { try link(fixture, "b", to: "a") }
            try link(fixture, name, to: target)
            let started = Date()
            do {
                _ = try BoardSnapshot.take(try fixture.board, store: fixture.store)
                Issue.record("the loop \(name) -> \(target) was copied")
            } catch let error as BoardError {
                guard case .linkLoop(let path, _) = error else { Issue.record("refused for another reason: \(error)"); continue }
                #expect(path.hasPrefix(fixture.directory.path), "\(path)")
            }
            #expect(Date().timeIntervalSince(started) < 10)
            #expect(try snapshots(fixture.store) == before)
            for leftover in ["self", "a", "b", "sub"] { try? FileManager.default.removeItem(at: fixture.directory.appendingPathComponent(leftover)) }
        }
    }

    @Test func aRecipeLinkOutOfItsLayerIsRefusedAndOneInsideIsCopied() throws {
        let (fixture, key) = try fixture()
        defer { fixture.remove() }
        let layer = fixture.boards.deletingLastPathComponent().appendingPathComponent("recipes")
        try FileManager.default.createDirectory(at: layer.appendingPathComponent("shared"), withIntermediateDirectories: true)
        try FileManager.default.moveItem(at: fixture.directory.appendingPathComponent("independent.sh"), to: layer.appendingPathComponent("shared/independent.sh"))
        try FileManager.default.createSymbolicLink(atPath: layer.appendingPathComponent("independent.sh").path, withDestinationPath: "shared/independent.sh")
        let layers = RecipeLayers([.init(.owner, layer)])
        let board = try BoardCatalog(directory: fixture.boards, layers: layers).load("fixture")
        #expect(board.resolve("independent.sh")?.originName == "owner")
        let snapshot = try BoardSnapshot.take(board, store: fixture.store)
        let copied = fixture.store.path(of: snapshot).appendingPathComponent("fixture/independent.sh")
        #expect(try String(contentsOf: copied, encoding: .utf8) == "cp /inputs/note.txt /out/note.txt\n")

        try FileManager.default.removeItem(at: layer.appendingPathComponent("independent.sh"))
        try FileManager.default.createSymbolicLink(atPath: layer.appendingPathComponent("independent.sh").path, withDestinationPath: key.path)
        #expect(throws: BoardError.linkLeavesFolder(path: layer.appendingPathComponent("independent.sh").path, target: key.path, folder: layer.path)) {
            _ = try BoardSnapshot.take(try BoardCatalog(directory: fixture.boards, layers: layers).load("fixture"), store: fixture.store)
        }
    }

    @Test func snapshotModesAreClampedSoTheHashDoesNotDependOnTheUmask() throws {
        let (fixture, _) = try fixture()
        defer { fixture.remove() }
        let plain = try BoardSnapshot.take(try fixture.board, store: fixture.store)
        let note = fixture.directory.appendingPathComponent("note.txt").path
        let script = fixture.directory.appendingPathComponent("hello.sh").path
        let folder = fixture.directory.appendingPathComponent("extra")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data("x\n".utf8).write(to: folder.appendingPathComponent("x"))
        #expect(chmod(script, 0o755) == 0)
        let reference = try BoardSnapshot.take(try fixture.board, store: fixture.store)
        // setuid, setgid, sticky, group- and world-writable: none reaches the snapshot.
        #expect(chmod(note, 0o4666) == 0 && chmod(script, 0o6777) == 0 && chmod(folder.path, 0o1777) == 0)
        let odd = try BoardSnapshot.take(try fixture.board, store: fixture.store)
        #expect(odd == reference && plain != reference)
        let stored = fixture.store.path(of: odd).appendingPathComponent("fixture")
        for (name, mode) in [("note.txt", 0o644), ("hello.sh", 0o755), ("extra", 0o755), ("extra/x", 0o644), ("board.toml", 0o644)] {
            var info = stat()
            #expect(lstat(stored.appendingPathComponent(name).path, &info) == 0 && Int(info.st_mode & 0o7777) == mode, "\(name) is \(String(info.st_mode & 0o7777, radix: 8))")
        }
    }
}
