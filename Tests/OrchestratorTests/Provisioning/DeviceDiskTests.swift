import Foundation
import Support
import Testing
@testable import Orchestrator

/// `ownerboot disk`'s choice of disk, in-process: a board with a verity OS gets the GPT
/// layout (slots A and B, state) and `os.img`, any other the single LUKS2 disk of `os.ext4`;
/// the disk takes its name only once every token is bound.
@Suite struct DeviceDiskTests {
    static let root = "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2", slotB = "0b0e7b6f-1d2c-4c1a-9a55-0000000000b3", state = "0b0e7b6f-1d2c-4c1a-9a55-0000000000c1"

    /// A board loaded from a small board.toml: with `[os]` and the GPT's UUIDs when `verity`.
    static func board(_ name: String, verity: Bool, tpm: String? = nil, in dir: URL) throws -> Board {
        let folder = dir.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        var toml = "[board]\nname = \"\(name)\"\n" + (tpm.map { "tpm = \"\($0)\"\n" } ?? "")
        toml += "\n[chip]\nname = \"W25Q128.V\"\nsize = \"16MiB\"\n\n[disk]\nroot_uuid = \"\(root)\"\n"
        if verity { toml += "slot_b_uuid = \"\(slotB)\"\nstate_uuid = \"\(state)\"\n\n[os]\nhostname = \"\(name)\"\n" }
        let file = folder.appendingPathComponent("board.toml")
        try Data(toml.utf8).write(to: file)
        return try BoardLoader().load(file)
    }

    @Test func aVerityBoardGetsTheGPTLayoutAndAnyOtherAPlainLUKSDisk() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let verity = DeviceDisk(board: try Self.board("v", verity: true, in: dir))
        #expect(verity.verityLayout == DiskProvisioner.VerityLayout(slotBUUID: Self.slotB, stateUUID: Self.state))
        #expect(verity.luksUUID == Self.root)
        #expect(verity.defaultOSImage == "result/v/os/os.img")
        #expect(verity.defaultROM == "result/v/rom/v.rom")
        #expect(verity.written("disk.img") == "wrote disk.img: GPT disk of v: root slots A and B (LUKS2, OS image + verity hash tree), state (LUKS2, ext4)")

        let plain = DeviceDisk(board: try Self.board("p", verity: false, in: dir))
        #expect(plain.verityLayout == nil && !plain.isVerity)
        #expect(plain.defaultOSImage == "result/p/os/os.ext4")
        #expect(plain.written("disk.img") == "wrote disk.img: LUKS2-encrypted p OS disk")
    }

    @Test func aTokenThatFailsToBindLeavesNothingAndWithoutItTheDiskTakesItsName() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var disk = DeviceDisk(board: try Self.board("p", verity: false, in: dir))
        disk.pbkdfIterations = 4
        let image = try DiskProvisionerTests.smallOSImage(in: dir)
        let passphrase = dir.appendingPathComponent("passphrase")
        try Data("a test passphrase\n".utf8).write(to: passphrase)
        let output = dir.appendingPathComponent("out").appendingPathComponent("disk.img")
        try FileManager.default.createDirectory(at: output.deletingLastPathComponent(), withIntermediateDirectories: true)
        // An advertisement that is not a JWS: clevis refuses to bind (at once, no network).
        let advertisement = dir.appendingPathComponent("adv.jws")
        try Data("not a signed advertisement".utf8).write(to: advertisement)
        var provisioned = false
        #expect(throws: DiskError.self) {
            try disk.make(output: output, osImage: image, passphraseFile: passphrase,
                          enrolment: { ClevisEnrolment(tokens: [.tang(url: "http://127.0.0.1:9", advertisement: advertisement)]) },
                          tcti: "", provisioned: { provisioned = true })
        }
        #expect(provisioned)
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path).isEmpty)

        var bound: [ClevisEnrolment.Bound] = []
        try disk.make(output: output, osImage: image, passphraseFile: passphrase, enrolment: { ClevisEnrolment() }, tcti: "", bound: { bound.append($0) })
        #expect(bound.isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.deletingLastPathComponent().path) == ["disk.img"])
        let dump = try ProcessRunner().checked("cryptsetup", ["luksDump", output.path]).stdoutText
        #expect(dump.contains(Self.root))
    }
}
