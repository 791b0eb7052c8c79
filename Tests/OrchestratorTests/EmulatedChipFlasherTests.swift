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
