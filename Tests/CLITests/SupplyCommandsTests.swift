import Foundation
import Testing
@testable import OwnerbootCLI

/// The key, sbom and provenance commands parse as documented, and `key generate` writes a
/// key pair where `--key` says (and refuses to replace it).
@Suite struct SupplyCommandsTests {
    @Test func sbomAndProvenanceParseMakeStyle() throws {
        let sbom = try Ownerboot.parseAsRoot(MakeStyleArguments.normalize(["sbom", "board=qemu-x86", "--generation", "2", "-o", "out.json"])) as? SBOMCommand
        #expect(sbom?.board == "qemu-x86" && sbom?.generation == 2 && sbom?.output == "out.json")
        let provenance = try Ownerboot.parseAsRoot(MakeStyleArguments.normalize(["provenance", "board=x230"])) as? ProvenanceCommand
        #expect(provenance?.board == "x230" && provenance?.generation == nil && provenance?.unsigned == false)
        #expect(throws: (any Error).self) { try Ownerboot.parseAsRoot(["sbom", "--generation", "two"]) }
    }

    @Test func keyGenerateWritesAPairAndRefusesASecond() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-cli-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("owner.key").path
        var generate = try #require(try Ownerboot.parseAsRoot(["key", "generate", "--key", path]) as? KeyCommand.Generate)
        try generate.run()
        #expect(FileManager.default.fileExists(atPath: path) && FileManager.default.fileExists(atPath: dir.appendingPathComponent("owner.pub").path))
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        generate = try #require(try Ownerboot.parseAsRoot(["key", "generate", "--key", path]) as? KeyCommand.Generate)
        #expect(throws: (any Error).self) { try generate.run() }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try Ownerboot.parseAsRoot(["key", "trust", "friend.pub"]) is KeyCommand.Trust)
    }
}
