import Boot
import Flash
import Foundation
import Logging
import Support
import Testing
@testable import Orchestrator

/// `ownerboot promote` on the emulated W25Q128FV with qemu-x86's two-half layout: refused
/// before anything is read or written while the chip protects its upper half (even when that
/// half would not change), written whole with the protection lifted, read back, the board's
/// protection re-applied and confirmed, and the promotion recorded; the fleet event names the
/// protected half's generation (the chip's earlier one when only the normal region was written).
@Suite(.serialized) struct FallbackPromotionTests {
    struct Setup {
        let dir: URL
        let board: Board
        let store: Store
        let chip: URL
        func programmer(protected: Bool) -> ProgrammerString {
            EmulatedChipFlasher.programmer(chipImage: chip, protected: protected, range: (0x800000, 0x800000))
        }
        var promotion: (Bool) -> FallbackPromotion {
            { protected in
                var logger = Logger(label: "test.promote")
                logger.logLevel = .critical
                return FallbackPromotion(board: board, store: store, programmer: programmer(protected: protected),
                                         options: .init(backupDirectory: dir.appendingPathComponent("backups")), logger: logger)
            }
        }
        func rom(normal: UInt8, fallback: UInt8) throws -> URL { try FallbackHalfFlashTests().rom(normal: normal, fallback: fallback, in: dir) }
    }

    func withSetup(_ body: (Setup) async throws -> Void) async throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let chip = dir.appendingPathComponent("chip.bin")
        try Data(repeating: 0xFF, count: 16 << 20).write(to: chip)
        try await body(Setup(dir: dir, board: board, store: try Store(home: dir.appendingPathComponent("home")), chip: chip))
    }

    @Test func refusedWhileProtectedThenWrittenWholeAndReprotected() async throws {
        try await withSetup { s in
            // The deployed state: generation 2's normal half over generation 1's fallback.
            let flasher = EmulatedChipFlasher(board: s.board, backupDirectory: s.dir.appendingPathComponent("backups"))
            _ = try await flasher.flash(rom: try s.rom(normal: 2, fallback: 1), chipImage: s.chip, protected: false)
            let before = try SHA256Digest.hex(fileAt: s.chip)
            let promoted = try s.rom(normal: 2, fallback: 2)

            // Refusal with WP# asserted: nothing written, nothing recorded, and the fix says how.
            do {
                _ = try await s.promotion(true).run(rom: promoted, generation: 2, romHash: "rom2")
                Issue.record("promote with the chip protected must be refused")
            } catch let error as PromotionError {
                guard case .writeProtected(let board, let generation, let protection) = error else { Issue.record("wrong refusal: \(error)"); return }
                #expect(board == "qemu-x86" && generation == 2 && protection.mode == .hardware && protection.range == ByteRange(start: 0x800000, length: 0x800000))
                #expect(error.fix?.contains("ownerboot wp disable board=qemu-x86") == true && error.fix?.contains("WP#") == true)
            }
            #expect(try SHA256Digest.hex(fileAt: s.chip) == before)
            #expect(try s.store.promotion(board: "qemu-x86") == nil)

            // Even a promotion whose protected half is already on the chip is refused while
            // protected (promote always writes both halves).
            await #expect(throws: PromotionError.self) {
                _ = try await s.promotion(true).run(rom: try s.rom(normal: 3, fallback: 3), generation: 3, romHash: "rom3")
            }

            // Success with the protection lifted: the chip is the ROM, read back, protected again.
            let record = try await s.promotion(false).run(rom: promoted, generation: 2, romHash: "rom2")
            let onChip = Array(try Data(contentsOf: s.chip))
            let same = onChip == Array(try Data(contentsOf: promoted))
            #expect(same)
            #expect(record.readbackHash == record.expectedHash && record.outcome == .written)
            #expect(record.writeProtectBefore?.isProtecting == false)
            #expect(record.writeProtectAfter == WriteProtectState(range: ByteRange(start: 0x800000, length: 0x800000), mode: .hardware))
            #expect(record.writeProtectConfirmed == true)
            let halves = try OwnerbootManifest.readHalves(fromImage: onChip)
            #expect(halves.normal?.generation == 2 && halves.fallback?.generation == 2)
            let promotion = try #require(try s.store.promotion(board: "qemu-x86"))
            #expect(promotion.generation == 2 && promotion.romHash == "rom2")

            // The fleet event names the protected half's generation.
            let inventory = try Inventory.open(home: s.dir)
            try inventory.addDevice(Device(name: "router", board: "qemu-x86"))
            try FleetRecorder.record(record, device: "router", inventory: inventory)
            let status = try inventory.statuses(generations: FixedGenerations(["qemu-x86": [(2, "n2")]]))[0]
            #expect(status.generationOnChip == 2 && status.fallbackGenerationOnChip == 2)
        }
    }

    @Test func aROMWithoutTheGenerationInBothHalvesIsNotPromoted() async throws {
        try await withSetup { s in
            let before = try SHA256Digest.hex(fileAt: s.chip)
            await #expect(throws: PromotionError.halvesDiffer(path: try s.rom(normal: 4, fallback: 3).path, generation: 4, normal: 4, fallback: 3)) {
                _ = try await s.promotion(false).run(rom: try s.rom(normal: 4, fallback: 3), generation: 4, romHash: "rom4")
            }
            #expect(try SHA256Digest.hex(fileAt: s.chip) == before)
            #expect(try s.store.promotion(board: "qemu-x86") == nil)
        }
    }

    @Test func writingOnlyTheNormalRegionRecordsTheChipsFallback() async throws {
        try await withSetup { s in
            let flasher = EmulatedChipFlasher(board: s.board, backupDirectory: s.dir.appendingPathComponent("backups"))
            _ = try await flasher.flash(rom: try s.rom(normal: 1, fallback: 1), chipImage: s.chip, protected: false)
            // A ROM with another fallback half, written with the policy that skips protected
            // regions: the chip keeps fallback 1, and the event must say 1, not the image's 5.
            var logger = Logger(label: "test.flash")
            logger.logLevel = .critical
            let rom = try s.rom(normal: 5, fallback: 5)
            let operation = FlashOperation(
                programmer: s.programmer(protected: true),
                target: BoardFlashTarget.target(for: s.board, onProtected: .writableRegionsOnly, image: Array(try Data(contentsOf: rom))),
                options: .init(backupDirectory: s.dir.appendingPathComponent("backups")), logger: logger)
            let record = try await operation.run(imageURL: rom)
            #expect(record.outcome == .writtenUnprotectedRegions)
            let inventory = try Inventory.open(home: s.dir)
            try inventory.addDevice(Device(name: "router", board: "qemu-x86"))
            try FleetRecorder.record(record, device: "router", inventory: inventory)
            let event = try #require(try inventory.history(device: "router").flashes.last)
            #expect(event.generation == 5 && event.fallbackGeneration == 1)
        }
    }
}
