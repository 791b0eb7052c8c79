import Boot
import Flash
import Foundation
import Testing
@testable import Orchestrator

/// Boards with several chips and an Intel flash descriptor: the loader checks the chips tile
/// the flash and the BIOS region fits it; flashing cuts the ROM per chip.
@Suite struct MultiChipBoardTests {
    func parse(_ text: String) throws -> Board {
        try BoardLoader().parse(text, file: URL(fileURLWithPath: "/boards/demo/board.toml"))
    }

    let twoChips = """
        [board]
        name = "demo"

        [[chips]]
        label = "bottom"
        name = "MX25L6406E/MX25L6408E"
        models = ["W25Q64BV/W25Q64CV/W25Q64FV"]
        offset = 0
        size = "8MiB"

        [[chips]]
        label = "top"
        name = "W25Q32.V"
        offset = 0x800000
        size = "4MiB"

        [descriptor]
        kind = "intel"
        write_regions = ["bios"]
        bios_start = 0x500000
        bios_length = 0x700000
        """

    @Test func theX230BoardFileLoads() throws {
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("x230")
        #expect(board.chips.map(\.label) == ["bottom", "top"])
        #expect(board.flashSize == 12 << 20)
        #expect(board.descriptor == DescriptorSpec(writeRegions: ["bios"], biosStart: 0x500000, biosLength: 0x700000))
        #expect(board.chips[1].offset == 0x800000)
        let router = try BoardCatalog(directory: RepositoryPaths.boards).load("hp-abm")
        #expect(router.flashSize == 8 << 20 && router.descriptor == nil)
        #expect(router.chip.models.count == 3)
        // Every board builds the shipped unlocker (recipes/unlocker). qemu-x86's machine profile
        // adds the normal/fallback re-arm step (rearm-normal.sh), which a board without the
        // two-half firmware must not run: it writes CMOS byte 48. The real boards' unlocker also
        // builds ob-kexec: their OS, the shared Debian recipe, carries its own kernel (kexec).
        let emulated = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let mine = try #require(board.components.first { $0.name == "unlocker" })
        let theirs = try #require(emulated.components.first { $0.name == "unlocker" })
        #expect(mine.builder == theirs.builder && board.resolve(mine.builder)?.originName == "shipped")
        #expect(mine.inputs.contains { $0.hasSuffix("ob-kexec.c") || $0.hasSuffix("ob-kexec") } && !mine.inputs.contains { $0.hasSuffix("rearm-normal.sh") })
        #expect(theirs.inputs.contains { $0.hasSuffix("rearm-normal.sh") } && !theirs.inputs.contains { $0.hasSuffix("ob-kexec.c") || $0.hasSuffix("ob-kexec") })
        for real in [board, router] {
            let os = try #require(real.components.first { $0.name == "os" })
            #expect(os.builder == "os/debian-os.sh" && real.resolve(os.builder)?.originName == "shipped" && os.inputs == ["os-packages", "os/os-report.sh"])
            #expect(real.os?.kernel == .kexec && real.os?.kernelPackage == "linux-image-amd64")
        }
        #expect(emulated.os?.kernel == .flash)
    }

    @Test func chipsMustFollowEachOther() throws {
        let text = twoChips.replacingOccurrences(of: "offset = 0x800000", with: "offset = 0x700000")
        #expect(throws: BoardError.invalidValue(file: "/boards/demo/board.toml", line: 14, key: "chips[1].offset", value: "0x700000", expected: "0x800000: the chips follow each other in the ROM, first at 0")) {
            try parse(text)
        }
    }

    @Test func aTypoInAChipTableNamesTheChipAndTheLine() throws {
        let text = twoChips.replacingOccurrences(of: "label = \"top\"", with: "lable = \"top\"")
        #expect(throws: BoardError.unknownKey(file: "/boards/demo/board.toml", line: 12, key: "chips[1].lable", suggestion: "chips.label")) {
            try parse(text)
        }
    }

    @Test func theBIOSRegionMustCoverEveryChipButTheFirst() throws {
        let text = twoChips.replacingOccurrences(of: "bios_length = 0x700000", with: "bios_length = 0x600000")
        #expect(throws: BoardError.self) { try parse(text) }
        let bad = twoChips.replacingOccurrences(of: "write_regions = [\"bios\"]", with: "write_regions = [\"bois\"]")
        do {
            _ = try parse(bad)
            Issue.record("an unknown region name was accepted")
        } catch let BoardError.invalidValue(_, line, key, _, expected) {
            #expect(line == 19 && key == "descriptor.write_regions" && expected.contains("fd, bios, me, gbe, pd"))
        }
        #expect(throws: BoardError.self) { try parse(twoChips + "\n[chip]\nname = \"x\"\nsize = \"8MiB\"\n") }
    }

    @Test func theROMIsCutPerChipAndTheDescriptorChipGetsThePolicy() throws {
        let board = try parse(twoChips)
        var bytes = [UInt8](repeating: 0xFF, count: 12 << 20)
        bytes[0x900000] = 0x42
        let rom = FlashImage(path: "demo.rom", bytes: bytes)
        let top = try BoardFlashTarget.prepare(board: board, label: "top", programmer: "ch341a_spi", rom: rom, onProtected: .refuse, forceBoard: true)
        #expect(top.image.bytes.count == 4 << 20 && top.image.bytes[0x100000] == 0x42)
        #expect(top.target.chipNames == ["W25Q32.V"] && top.target.descriptor == nil)
        let bottom = try BoardFlashTarget.prepare(board: board, label: "bottom", programmer: "ch341a_spi", rom: rom, onProtected: .refuse, forceBoard: true)
        #expect(bottom.target.chipNames == ["MX25L6406E/MX25L6408E", "W25Q64BV/W25Q64CV/W25Q64FV"])
        #expect(bottom.target.descriptor == DescriptorPolicy(writtenRegions: [.bios], imageBIOSRegion: ByteRange(start: 0x500000, length: 0x700000)))
        let whole = try BoardFlashTarget.prepare(board: board, label: nil, programmer: "internal", rom: rom, onProtected: .refuse, forceBoard: true)
        #expect(whole.image.bytes.count == 12 << 20 && whole.target.chipName == nil && whole.target.descriptor != nil)

        #expect(throws: BoardChipError.chipRequired(board: "demo", chips: board.chips)) {
            _ = try BoardFlashTarget.prepare(board: board, label: nil, programmer: "ch341a_spi", rom: rom, onProtected: .refuse, forceBoard: true)
        }
        #expect(throws: BoardChipError.unknownChip(board: "demo", label: "tpo", labels: ["bottom", "top", "all"], suggestion: "top")) {
            _ = try BoardFlashTarget.prepare(board: board, label: "tpo", programmer: nil, rom: rom, onProtected: .refuse, forceBoard: true)
        }
        #expect(throws: BoardChipError.romSize(path: "short.rom", size: 8 << 20, board: "demo", flashSize: 12 << 20)) {
            _ = try BoardFlashTarget.prepare(board: board, label: "top", programmer: nil, rom: FlashImage(path: "short.rom", bytes: Array(bytes.prefix(8 << 20))), onProtected: .refuse, forceBoard: true)
        }
    }
}
