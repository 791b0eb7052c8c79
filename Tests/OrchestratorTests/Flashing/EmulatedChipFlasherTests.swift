import Boot
import Flash
import Foundation
import Support
import Testing
@testable import Orchestrator

/// The board-level flash: the ROM's manifest must name the board, and an update onto a
/// write-protected chip succeeds only when the protected quarter stays as it is.
@Suite struct EmulatedChipFlasherTests {
    func rom(board: String?, in dir: URL, fill: UInt8 = 0x11) throws -> URL {
        let url = dir.appendingPathComponent("\(board ?? "none")-\(fill).rom")
        try ProcessRunner().checked("cbfstool", [url.path, "create", "-m", "x86", "-s", "16M"])
        var bytes = Array(try Data(contentsOf: url))
        try CBFS.addRaw(to: &bytes, name: "payload-ish", data: Array(repeating: fill, count: 64 << 10))
        if let board { try OwnerbootManifest(board: board, generation: 1, setHash: "s", components: [:]).add(to: &bytes) }
        try Data(bytes).write(to: url)
        return url
    }

    @Test func foreignROMsAreRefusedAndTheChipIsUntouched() async throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let chip = dir.appendingPathComponent("chip.bin")
        try Data(repeating: 0xFF, count: 16 << 20).write(to: chip)
        let before = try SHA256Digest.hex(fileAt: chip)
        let flasher = EmulatedChipFlasher(board: board, backupDirectory: dir.appendingPathComponent("backups"))
        for (rom, reason) in [(try rom(board: nil, in: dir), "no ownerboot manifest"), (try rom(board: "x230", in: dir), "built for board 'x230'")] {
            do {
                _ = try await flasher.flash(rom: rom, chipImage: chip, protected: false)
                Issue.record("a foreign ROM was flashed")
            } catch let FlashError.foreignImage(_, message) {
                #expect(message.contains(reason))
            }
        }
        #expect(try SHA256Digest.hex(fileAt: chip) == before)
    }

    @Test func anUpdateOntoTheProtectedChipKeepsTheProtectedQuarter() async throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let chip = dir.appendingPathComponent("chip.bin")
        try Data(repeating: 0xFF, count: 16 << 20).write(to: chip)
        let flasher = EmulatedChipFlasher(board: board, backupDirectory: dir.appendingPathComponent("backups"))
        let first = try rom(board: "qemu-x86", in: dir, fill: 0x11)
        let second = try rom(board: "qemu-x86", in: dir, fill: 0x22)
        _ = try await flasher.flash(rom: first, chipImage: chip, protected: false)
        let record = try await flasher.flash(rom: second, chipImage: chip, protected: true)
        let onChip = Array(try Data(contentsOf: chip))
        let wanted = Array(try Data(contentsOf: second))
        let same = onChip == wanted
        #expect(same)
        #expect(record.blocksWritten > 0 && record.blocksWritten < 3072)
    }
}

/// A flash through the dummy programmer lands in the inventory and moves the device's status.
@Suite struct FlashToInventoryTests {
    @Test func aFlashRecordMakesTheDeviceCurrentThenOutdated() async throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let romURL = dir.appendingPathComponent("gen1.rom")
        try ProcessRunner().checked("cbfstool", [romURL.path, "create", "-m", "x86", "-s", "16M"])
        var rom = Array(try Data(contentsOf: romURL))
        try OwnerbootManifest(board: "qemu-x86", generation: 1, setHash: "set-1", components: [:]).add(to: &rom)
        try Data(rom).write(to: romURL)
        let chip = dir.appendingPathComponent("chip.bin")
        try Data(repeating: 0xFF, count: 16 << 20).write(to: chip)

        let inventory = try Inventory.open(home: dir)
        try inventory.addDevice(Device(name: "router", board: "qemu-x86"))
        let record = try await EmulatedChipFlasher(board: board, backupDirectory: dir.appendingPathComponent("backups")).flash(rom: romURL, chipImage: chip, protected: false)
        try FleetRecorder.record(record, device: "router", inventory: inventory)

        let event = try inventory.history(device: "router").flashes.first
        #expect(event?.outcome == .success)
        #expect(event?.generation == 1 && event?.setHash == "set-1")
        #expect(event?.romHash == SHA256Digest.hex(rom))
        #expect(event?.backupReference != nil)
        #expect(try inventory.statuses(generations: FixedGenerations(["qemu-x86": [(1, "set-1")]])).first?.state == .current)
        #expect(try inventory.statuses(generations: FixedGenerations(["qemu-x86": [(1, "set-1"), (2, "set-2")]])).first?.state == .outdated)

        // A refused flash is recorded as such and does not move the status.
        do {
            _ = try await EmulatedChipFlasher(board: board, backupDirectory: dir).flash(rom: dir.appendingPathComponent("missing.rom"), chipImage: chip, protected: false)
        } catch {
            try FleetRecorder.recordFailure(error, imagePath: dir.appendingPathComponent("missing.rom").path, programmer: "dummy", chip: "W25Q128.V", device: "router", inventory: inventory)
        }
        #expect(try inventory.history(device: "router").flashes.last?.outcome == .refused)
        #expect(try inventory.statuses(generations: FixedGenerations(["qemu-x86": [(1, "set-1")]])).first?.state == .current)
    }
}
