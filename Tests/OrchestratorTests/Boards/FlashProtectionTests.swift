import Boot
import Flash
import Foundation
import Testing
@testable import Orchestrator

/// What each board's flash protection covers (`ownerboot boards`), read from the real board
/// files: the X230's chipset lock must be configured in the coreboot.config its firmware is
/// built from, and an internal write to a locked board is refused before any chip is touched.
@Suite struct FlashProtectionTests {
    static func board(_ name: String, in directory: URL = RepositoryPaths.boards) throws -> Board {
        try BoardCatalog(directory: directory).load(name)
    }

    @Test func theX230DeclaresThePCHLockItsCorebootConfigTurnsOn() throws {
        let board = try Self.board("x230")
        let lock = try #require(board.chipsetProtect, "x230's board.toml lost [chipset_protect]")
        #expect(lock.mechanism == .pchProtectedRange)
        // The whole boot device (CONFIG_ROM_SIZE), as coreboot's lockdown hands it to PR0.
        #expect(lock.start == 0 && lock.length == board.flashSize && board.flashSize == 0xC00000)
        #expect(Set(lock.requires) == ["CONFIG_BOOTMEDIA_LOCK_CONTROLLER=y", "CONFIG_BOOTMEDIA_LOCK_WHOLE_RO=y", "CONFIG_INTEL_CHIPSET_LOCKDOWN=y"])
        let fragment = try String(contentsOf: board.directory.appendingPathComponent(lock.config), encoding: .utf8)
        #expect(lock.missing(in: fragment).isEmpty)
        #expect(fragment.contains("# CONFIG_BOOTMEDIA_LOCK_NONE is not set"))

        let protection = FlashProtection(board: board)
        #expect(protection.protected.map(\.range) == [ByteRange(start: 0, length: 0xC00000)])
        #expect(protection.protected.map(\.mechanism) == [.pchProtectedRange])
        #expect(protection.writable.isEmpty, "PR0 covers the whole flash: nothing is writable from the OS")
        #expect(protection.summary == "pch-pr0-flockdn")
        #expect(protection.fallback?.hasPrefix("none") == true)
    }

    @Test func aLockTheCorebootConfigLacksIsRefusedWhenTheBoardLoads() throws {
        // A copy of the boards folder (the real boards link builders into qemu-x86's folder).
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let boards = dir.appendingPathComponent("boards")
        try FileManager.default.copyItem(at: RepositoryPaths.boards, to: boards)
        let config = boards.appendingPathComponent("x230/coreboot.config")
        let original = try String(contentsOf: config, encoding: .utf8)
        #expect(try Self.board("x230", in: boards).chipsetProtect != nil)

        // Switched off the way Kconfig writes it: the line is there, commented.
        try original.replacingOccurrences(of: "CONFIG_BOOTMEDIA_LOCK_CONTROLLER=y", with: "# CONFIG_BOOTMEDIA_LOCK_CONTROLLER is not set")
            .write(to: config, atomically: true, encoding: .utf8)
        do {
            _ = try Self.board("x230", in: boards)
            Issue.record("a board claiming a lock its coreboot.config lacks loaded")
        } catch let BoardError.protectionNotConfigured(_, line, configName, missing) {
            #expect(configName == "coreboot.config" && missing == ["CONFIG_BOOTMEDIA_LOCK_CONTROLLER=y"])
            #expect(line != nil)
        }
        try original.replacingOccurrences(of: "CONFIG_INTEL_CHIPSET_LOCKDOWN=y\n", with: "").write(to: config, atomically: true, encoding: .utf8)
        #expect(throws: BoardError.self) { try Self.board("x230", in: boards) }
    }

    @Test func theOtherBoardsReportWhatTheirProtectionLeavesWritable() throws {
        let router = FlashProtection(board: try Self.board("hp-abm"))
        #expect(router.protected.isEmpty && router.summary == "none")
        #expect(router.writable == [ByteRange(start: 0, length: 8 << 20)])
        #expect(try Self.board("hp-abm").chipsetProtect == nil)

        let emulated = FlashProtection(board: try Self.board("qemu-x86"))
        #expect(emulated.protected.map(\.range) == [ByteRange(start: 0x800000, length: 0x800000)])
        #expect(emulated.protected.map(\.mechanism) == [.hardwareWP])
        #expect(emulated.writable == [ByteRange(start: 0, length: 0x800000)])
        #expect(emulated.fallback?.contains("COREBOOT") == true)
    }

    @Test func writableIsTheComplementOfTheLockedRanges() {
        let whole = ByteRange(start: 0, length: 0x1000)
        #expect(FlashProtection.complement(of: [], in: whole) == [whole])
        #expect(FlashProtection.complement(of: [whole], in: whole).isEmpty)
        #expect(FlashProtection.complement(of: [ByteRange(start: 0x800, length: 0x100), ByteRange(start: 0x100, length: 0x100)], in: whole)
            == [ByteRange(start: 0, length: 0x100), ByteRange(start: 0x200, length: 0x600), ByteRange(start: 0x900, length: 0x700)])
    }

    @Test func anInternalWriteToTheLockedX230IsRefusedAndTheClipIsNot() throws {
        let board = try Self.board("x230")
        let rom = FlashImage(path: "x230.rom", bytes: [UInt8](repeating: 0xFF, count: board.flashSize))
        #expect(throws: BoardChipError.chipsetLocked(board: "x230", range: ByteRange(start: 0, length: 0xC00000), chips: board.chips)) {
            _ = try BoardFlashTarget.prepare(board: board, label: nil, programmer: "internal", rom: rom, onProtected: .refuse, forceBoard: true)
        }
        #expect(throws: BoardChipError.self) {
            _ = try BoardFlashTarget.prepare(board: board, label: "all", programmer: "internal:laptop=this_is_not_a_laptop", rom: rom, onProtected: .refuse, forceBoard: true)
        }
        let error = BoardChipError.chipsetLocked(board: "x230", range: ByteRange(start: 0, length: 0xC00000), chips: board.chips)
        #expect(error.fix?.contains("--chip bottom --programmer ft2232_spi:type=2232H") == true, "\(error.fix ?? "")")
        #expect(error.fix?.contains("--chip top") == true)
        // The same ROM through a clip is prepared as before.
        let bottom = try BoardFlashTarget.prepare(board: board, label: "bottom", programmer: "ft2232_spi:type=2232H", rom: rom, onProtected: .refuse, forceBoard: true)
        #expect(bottom.chip.label == "bottom" && bottom.target.descriptor != nil)
        // A board without the lock still takes the internal programmer.
        var unlocked = board
        unlocked.chipsetProtect = nil
        #expect(try BoardFlashTarget.prepare(board: unlocked, label: nil, programmer: "internal", rom: rom, onProtected: .refuse, forceBoard: true).chip.label == "all")
    }
}
