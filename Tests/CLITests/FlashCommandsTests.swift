import Flash
import Foundation
@testable import Orchestrator
import Testing
@testable import OwnerbootCLI

/// The flash commands parse as documented and map boards onto the Flash module's target.
struct FlashCommandsTests {
    @Test func flashParsesMakeStyleAndFlags() throws {
        let parsed = try Ownerboot.parseAsRoot(MakeStyleArguments.normalize(
            ["flash", "board=qemu-x86", "--programmer", "dummy:emulate=W25Q128FV", "--image", "r.rom", "--dry-run", "--writable-regions-only", "--backup-dir", "/tmp/b"]))
        let flash = try #require(parsed as? FlashCommand)
        #expect(flash.board == "qemu-x86")
        #expect(flash.programmer == "dummy:emulate=W25Q128FV")
        #expect(flash.dryRun && flash.writableRegionsOnly)
        #expect(flash.backupDir == "/tmp/b")
    }

    @Test func otherCommandsParse() throws {
        #expect(try Ownerboot.parseAsRoot(["read", "--programmer", "ch341a_spi", "-o", "d.rom"]) is ReadCommand)
        #expect(try Ownerboot.parseAsRoot(["verify", "--programmer", "ch341a_spi", "--image", "d.rom"]) is VerifyCommand)
        #expect(try Ownerboot.parseAsRoot(["programmers", "--json"]) is ProgrammersCommand)
        let wp = try #require(try Ownerboot.parseAsRoot(["wp", "enable", "--programmer", "ch341a_spi", "--range", "0xC00000,0x400000"]) as? WriteProtectCommand)
        #expect(wp.action == .enable)
        #expect(throws: (any Error).self) { try Ownerboot.parseAsRoot(["wp", "frob"]) }
    }

    @Test func rangesParseInHexDecimalAndUnits() throws {
        #expect(try WriteProtectCommand.parseRange("0xC00000,0x400000") == ByteRange(start: 0xC00000, length: 0x400000))
        #expect(try WriteProtectCommand.parseRange("12MiB, 4MiB") == ByteRange(start: 12 << 20, length: 4 << 20))
        #expect(throws: (any Error).self) { try WriteProtectCommand.parseRange("0xC00000") }
    }

    @Test func boardMapsToExpectedTarget() {
        let board = Board(name: "b", description: "", arch: "x86_64",
                          chip: ChipSpec(name: "W25Q128.V", sizeBytes: 16 << 20, programmer: "dummy:emulate=W25Q128FV"),
                          writeProtect: WriteProtectSpec(start: 0xC00000, length: 0x400000, mode: .hardware), directory: URL(fileURLWithPath: "/"))
        let target = FlashTargetAdapter.target(for: board, onProtected: .writableRegionsOnly)
        #expect(target.chipName == "W25Q128.V")
        #expect(target.chipSize == 16 << 20)
        #expect(target.writeProtect.onProtected == .writableRegionsOnly)
        #expect(target.writeProtect.apply == WriteProtectState(range: ByteRange(start: 0xC00000, length: 0x400000), mode: .hardware))
        #expect(FlashTargetAdapter.state(WriteProtectSpec(start: 0, length: 0x1000, mode: .software))?.mode == .disabled)
        #expect(FlashTargetAdapter.state(WriteProtectSpec(start: 0, length: 0x1000, mode: .none)) == nil)
        #expect((try? FlashTargetAdapter.programmer(nil, board: board)) == ProgrammerString(name: "dummy", parameters: "emulate=W25Q128FV"))
        #expect(throws: (any Error).self) { try FlashTargetAdapter.programmer(nil, board: nil) }
    }
}
