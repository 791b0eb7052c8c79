import Boot
import Flash
import Foundation
import Support
import Testing
@testable import Orchestrator

/// qemu-x86's normal/fallback layout on the emulated W25Q128FV with its upper half protected
/// (SRP0, BP = 6, WP# asserted): an update that changes only the normal region is written and
/// read back; one whose protected half differs is refused before anything is written.
@Suite(.serialized) struct FallbackHalfFlashTests {
    /// A 16 MiB ROM with qemu-x86's fallback.fmd (NORMAL below, FMAP + COREBOOT above),
    /// `normal` and `fallback` filling a file in each half, and a manifest in each.
    func rom(normal: UInt8, fallback: UInt8, in dir: URL) throws -> URL {
        let url = dir.appendingPathComponent("rom-\(normal)-\(fallback).bin")
        let fmap = dir.appendingPathComponent("fmap-\(normal)-\(fallback).bin")
        // coreboot runs the .fmd through the C preprocessor first (its comments are C comments).
        let fmd = dir.appendingPathComponent("fallback.fmd")
        try ProcessRunner().checked("cpp", ["-P", "-x", "assembler-with-cpp", RepositoryPaths.root.appendingPathComponent("recipes/machines/qemu-i440fx/fallback.fmd").path, "-o", fmd.path])
        try ProcessRunner().checked("fmaptool", [fmd.path, fmap.path])
        try ProcessRunner().checked("cbfstool", [url.path, "create", "-M", fmap.path, "-r", "NORMAL,COREBOOT"])
        var bytes = Array(try Data(contentsOf: url))
        try CBFS.addRaw(to: &bytes, region: "NORMAL", name: "normal/payload-ish", data: Array(repeating: normal, count: 64 << 10))
        try OwnerbootManifest(board: "qemu-x86", generation: Int(normal), setHash: "n\(normal)", components: [:]).add(to: &bytes, region: "NORMAL")
        try CBFS.addRaw(to: &bytes, region: "COREBOOT", name: "fallback/payload-ish", data: Array(repeating: fallback, count: 64 << 10))
        try OwnerbootManifest(board: "qemu-x86", generation: Int(fallback), setHash: "f\(fallback)", components: [:]).add(to: &bytes, region: "COREBOOT")
        try Data(bytes).write(to: url)
        return url
    }

    @Test func theBoardProtectsTheUpperHalf() throws {
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        #expect(board.writeProtect?.start == 0x800000 && board.writeProtect?.length == 0x800000)
        #expect(EmulatedChipFlasher.statusRegister(start: 0x800000, length: 0x800000) == 0x98)
        #expect(EmulatedChipFlasher.statusRegister(start: 0xC00000, length: 0x400000) == 0x94)
        #expect(EmulatedChipFlasher.statusRegister(start: 0x700000, length: 0x900000) == nil)
    }

    @Test func anUpdateWritesTheNormalHalfAndAChangedFallbackIsRefused() async throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let chip = dir.appendingPathComponent("chip.bin")
        try Data(repeating: 0xFF, count: 16 << 20).write(to: chip)
        let flasher = EmulatedChipFlasher(board: board, backupDirectory: dir.appendingPathComponent("backups"))
        let installed = try rom(normal: 1, fallback: 1, in: dir)
        _ = try await flasher.flash(rom: installed, chipImage: chip, protected: false)

        // Success: generation 2's normal half over generation 1's fallback half.
        let update = try rom(normal: 2, fallback: 1, in: dir)
        let record = try await flasher.flash(rom: update, chipImage: chip, protected: true)
        let onChip = Array(try Data(contentsOf: chip))
        let wanted = Array(try Data(contentsOf: update))
        let same = onChip == wanted
        #expect(same)
        #expect(record.blocksWritten > 0 && record.blocksWritten * 4096 <= 0x800000)
        let halves = try OwnerbootManifest.readHalves(fromImage: onChip)
        #expect(halves.normal?.generation == 2 && halves.fallback?.generation == 1)

        // Refusal: a ROM whose protected half differs (a new fallback) with WP on.
        let before = try SHA256Digest.hex(fileAt: chip)
        let newFallback = try rom(normal: 3, fallback: 3, in: dir)
        await #expect(throws: (any Error).self) { _ = try await flasher.flash(rom: newFallback, chipImage: chip, protected: true) }
        #expect(try SHA256Digest.hex(fileAt: chip) == before)
    }

    @Test func identifyNamesBothHalvesGenerations() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try Store(home: dir.appendingPathComponent("home"))
        let chip = Array(try Data(contentsOf: try rom(normal: 5, fallback: 2, in: dir)))
        let id = try FleetIdentifier(store: store).identify(chip)
        #expect(id.generation == 5 && id.fallbackGeneration == 2)
        #expect(id.board == "qemu-x86")
        let halves = try #require(ROMHalves(normal: 5, fallback: 2) as ROMHalves?)
        #expect(halves.summary == "normal 5, fallback 2")
    }

    @Test func tamperedROMsChangeOnlyTheNormalRegion() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let built = try rom(normal: 4, fallback: 4, in: dir)
        let erased = dir.appendingPathComponent("erased.rom")
        try TamperedROM.make(.normalErased, rom: built, output: erased, cbfstool: nil, payload: nil, cmdline: "")
        let before = Array(try Data(contentsOf: built)), after = Array(try Data(contentsOf: erased))
        let lowerErased = after[..<0x800000].allSatisfy { $0 == 0xFF }
        let upperKept = after[0x800000...] == before[0x800000...]
        #expect(lowerErased && upperKept)
        // A ROM without the normal region cannot be tampered with this way: a clear error.
        let single = dir.appendingPathComponent("single.rom")
        try ProcessRunner().checked("cbfstool", [single.path, "create", "-m", "x86", "-s", "16M"])
        #expect(throws: TamperError.self) { try TamperedROM.make(.normalErased, rom: single, output: erased, cbfstool: nil, payload: nil, cmdline: "") }
    }
}
