import Foundation
import Support
import Testing
@testable import Orchestrator

/// The keys derived from a root container's volume key agree between the owner's side (Swift:
/// `RootBoundKeys`, `LUKSHeaderDump`, `ClevisTokenTag`) and the unlocker's (`ob-unlock -s` and
/// `-R`, derive.c, built through its Makefile), on a real LUKS2 header; and a tag that a disk
/// attacker forged, moved or edited is refused beside the authentic one that is accepted.
@Suite struct RootBoundKeyTests {
    struct Container {
        let dir: URL, disk: URL, volumeKeyFile: URL, dumpFile: URL, volumeKey: [UInt8], dump: LUKSHeaderDump
    }

    /// A LUKS2 file with the passphrase in slot 0 and a second key in slot 1 (as a token's).
    static func container() throws -> Container {
        let dir = try RepositoryPaths.temporaryDirectory()
        let disk = try ClevisInteropTests.luksFile(dir, passphrase: "owner passphrase")
        let pass = dir.appendingPathComponent("pass")
        try Data("owner passphrase".utf8).write(to: pass)
        try ProcessRunner().checked("cryptsetup", ["luksAddKey", "--batch-mode", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", pass.path, disk.path, "/dev/stdin"], stdin: Data("token key".utf8))
        let volumeKey = try LUKSHeaderDump.volumeKey(of: disk, passphrase: Data("owner passphrase".utf8), runner: ProcessRunner())
        let volumeKeyFile = dir.appendingPathComponent("vk")
        try ProcessRunner().checked("cryptsetup", ["luksDump", "--dump-volume-key", "--volume-key-file", volumeKeyFile.path, "--batch-mode", "--key-file", pass.path, disk.path])
        let text = try ProcessRunner().checked("cryptsetup", ["luksDump", disk.path]).stdoutText
        let dumpFile = dir.appendingPathComponent("dump.txt")
        try Data(text.utf8).write(to: dumpFile)
        return Container(dir: dir, disk: disk, volumeKeyFile: volumeKeyFile, dumpFile: dumpFile, volumeKey: volumeKey, dump: LUKSHeaderDump(text: text))
    }

    static func verify(_ unlock: URL, _ c: Container, token: [String: Any]) throws -> ProcessRunner.Result {
        let json = try JSONSerialization.data(withJSONObject: token, options: [.sortedKeys])
        return try ProcessRunner().run(unlock.path, ["-R", c.volumeKeyFile.path, c.dumpFile.path], stdin: json)
    }

    @Test func theVolumeKeyAndTheSaltsAreReadFromCryptsetupsOwnText() throws {
        let c = try Self.container()
        defer { try? FileManager.default.removeItem(at: c.dir) }
        #expect(c.volumeKey.count == 64)
        #expect(try Data(contentsOf: c.volumeKeyFile) == Data(c.volumeKey))
        #expect(c.dump.salts.keys.sorted() == [0, 1])
        #expect(c.dump.salts.values.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) } && c.dump.salts[0] != c.dump.salts[1])
    }

    @Test func theStateKeyIsTheSameOnBothSides() throws {
        let c = try Self.container()
        defer { try? FileManager.default.removeItem(at: c.dir) }
        let unlock = try ClevisInteropTests.obUnlock(c.dir)
        let printed = try ProcessRunner().checked(unlock.path, ["-s", c.volumeKeyFile.path]).stdout
        #expect(printed == RootBoundKeys.statePassphrase(rootVolumeKey: c.volumeKey) && printed.count == 64)
        // Another container's volume key derives another key.
        try Data(repeating: 7, count: 64).write(to: c.volumeKeyFile)
        #expect(try ProcessRunner().checked(unlock.path, ["-s", c.volumeKeyFile.path]).stdout != printed)
    }

    @Test func anAuthenticTagIsAcceptedAndEveryForgeryIsRefused() throws {
        let c = try Self.container()
        defer { try? FileManager.default.removeItem(at: c.dir) }
        let unlock = try ClevisInteropTests.obUnlock(c.dir)
        let salt1 = try #require(c.dump.salts[1]), salt0 = try #require(c.dump.salts[0])
        let tag = ClevisTokenTag(generation: 6, path: "fallback").authenticated(slot: 1, salt: salt1, volumeKey: c.volumeKey)
        func token(_ tag: ClevisTokenTag, keyslots: [String] = ["1"]) -> [String: Any] {
            ["type": "clevis", "keyslots": keyslots, "jwe": ["protected": "e30"], ClevisTokenTag.member: tag.json]
        }
        let authentic = try Self.verify(unlock, c, token: token(tag))
        #expect(authentic.succeeded && authentic.stdoutText == "6 fallback 1\n", "\(authentic.stderrText)")

        // The attacker's edits of the same tag: another slot (the passphrase's), another
        // generation, another path, the token's keyslots pointed at slot 0, a made-up mac.
        var otherSlot = tag; otherSlot.slot = 0
        var otherGeneration = tag; otherGeneration.generation = 1
        var otherPath = tag; otherPath.path = "normal"
        var madeUp = tag; madeUp.mac = String(repeating: "ab", count: 32)
        for (name, forged) in [("slot 0", token(otherSlot, keyslots: ["0"])), ("generation", token(otherGeneration)), ("path", token(otherPath)),
                               ("keyslots", token(tag, keyslots: ["0"])), ("two keyslots", token(tag, keyslots: ["1", "0"])), ("mac", token(madeUp))] {
            let refused = try Self.verify(unlock, c, token: forged)
            #expect(!refused.succeeded && refused.stdoutText.isEmpty, "a forged \(name) was accepted")
        }
        // A tag made for slot 0's salt does not verify for slot 1 (a tag carried to a reused slot
        // number: the salt differs), and a tag keyed from another container's volume key fails.
        let moved = ClevisTokenTag(generation: 6, path: "fallback").authenticated(slot: 1, salt: salt0, volumeKey: c.volumeKey)
        #expect(try !Self.verify(unlock, c, token: token(moved)).succeeded)
        let foreign = ClevisTokenTag(generation: 6, path: "fallback").authenticated(slot: 1, salt: salt1, volumeKey: [UInt8](repeating: 7, count: 64))
        let refused = try Self.verify(unlock, c, token: token(foreign))
        #expect(!refused.succeeded && refused.stderrText.contains("not authentic"), "\(refused.stderrText)")
        // No tag at all: refused, named.
        let untagged = try ProcessRunner().run(unlock.path, ["-R", c.volumeKeyFile.path, c.dumpFile.path], stdin: Data(#"{"type":"clevis","keyslots":["1"]}"#.utf8))
        #expect(!untagged.succeeded && untagged.stderrText.contains("no ownerboot tag"))
    }
}
