@testable import Flash
import Foundation
import Support
import Testing

/// Whole flashes on the dummy programmer's emulated W25Q128FV, each on its own chip file.
/// Serialised: libflashrom allows one session per process (the gate would serialise them
/// anyway; this keeps the timing readable).
@Suite(.serialized) struct FlashOperationTests {
    static let upperQuarter = WriteProtectState(range: ByteRange(start: 0xC00000, length: 0x400000), mode: .hardware)
    static let w25q128 = ExpectedTarget(chipName: "W25Q128.V", chipSize: 16 << 20)

    func operation(_ chip: DummyChip, target: ExpectedTarget = w25q128, dryRun: Bool = false, readsChip: Bool = false,
                   identity: (any ImageIdentityCheck)? = nil, hooks: FlashTestHooks = FlashTestHooks()) -> FlashOperation {
        FlashOperation(programmer: chip.programmer, target: target, identity: identity,
                       options: .init(backupDirectory: chip.file("backups"), dryRun: dryRun, dryRunReadsChip: readsChip, hooks: hooks),
                       logger: DummyChip.quietLogger)
    }

    func writeImage(_ bytes: [UInt8], in chip: DummyChip, name: String = "image.rom") throws -> URL {
        let url = chip.file(name)
        try Data(bytes).write(to: url)
        return url
    }

    func backups(_ chip: DummyChip) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: chip.file("backups").path)) ?? []).sorted()
    }

    @Test func fullFlashWithReadback() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let old = chip.contents
        let image = DummyChip.pattern(seed: 2)
        let phases = PhaseLog()
        let record = try await operation(chip).run(imageURL: try writeImage(image, in: chip)) { phases.append($0) }
        #expect(record.outcome == .written)
        #expect(record.readbackHash == SHA256Digest.hex(image))
        #expect(record.expectedHash == record.imageHash)
        #expect(record.blocksWritten == 4096)
        #expect(record.writeAttempts == 1)
        #expect(record.chip.name == "W25Q128.V")
        let chipHoldsImage = chip.contents == image
        #expect(chipHoldsImage)
        // The backup is the old chip, named by its hash.
        let oldHash = SHA256Digest.hex(old)
        #expect(backups(chip) == ["\(oldHash).rom"])
        #expect(record.backupPath == chip.file("backups/\(oldHash).rom").path)
        let backupHolds = (try? [UInt8](Data(contentsOf: chip.file("backups/\(oldHash).rom")))) == old
        #expect(backupHolds)
        #expect(phases.finished.contains(.write) && phases.finished.contains(.verify) && phases.finished.contains(.backup))
    }

    @Test func updatingOneRegionWritesOnlyItsBlocks() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let old = chip.contents
        var image = old
        let region = 0x100000..<0x200000
        let fresh = DummyChip.pattern(seed: 3, count: region.count)
        image.replaceSubrange(region, with: fresh)
        let record = try await operation(chip).run(imageURL: try writeImage(image, in: chip))
        #expect(record.outcome == .written)
        #expect(record.blocksWritten == 256)
        #expect(record.bytesWritten == 1 << 20)
        #expect(record.plan.writes.map(\.range) == [ByteRange(start: 0x100000, length: 0x100000)])
        let after = chip.contents
        let regionWritten = Array(after[region]) == fresh
        let restUntouched = after[..<region.lowerBound] == old[..<region.lowerBound] && after[region.upperBound...] == old[region.upperBound...]
        #expect(regionWritten)
        #expect(restUntouched)
        // Flashing the same image again writes nothing.
        let again = try await operation(chip).run(imageURL: try writeImage(image, in: chip))
        #expect(again.outcome == .unchanged)
        #expect(again.blocksWritten == 0)
        #expect(again.writeAttempts == 0)
    }

    @Test func hardwareProtectedChipIsRefusedBeforeAnyByteChanges() async throws {
        let chip = try DummyChip(protected: true)
        defer { chip.remove() }
        let before = SHA256Digest.hex(chip.contents)
        var image = chip.contents
        image[0x1000] ^= 0xff             // writable
        image[0xFFF000] ^= 0xff           // protected (upper quarter)
        let url = try writeImage(image, in: chip)
        await #expect(throws: FlashError.protectedRangeWouldChange(protection: Self.upperQuarter, blocks: [ByteRange(start: 0xFFF000, length: 0x1000)])) {
            try await operation(chip).run(imageURL: url)
        }
        #expect(SHA256Digest.hex(chip.contents) == before)
        #expect(backups(chip).isEmpty)
        let message = FlashError.protectedRangeWouldChange(protection: Self.upperQuarter, blocks: [ByteRange(start: 0xFFF000, length: 0x1000)]).description
        #expect(message.contains("0x00c00000-0x00ffffff"))
        #expect(message.contains("hardware"))
        #expect(message.contains("WP#"))
    }

    @Test func writableRegionsOnlyLeavesTheProtectedQuarter() async throws {
        let chip = try DummyChip(protected: true)
        defer { chip.remove() }
        let old = chip.contents
        let image = DummyChip.pattern(seed: 4)
        var target = Self.w25q128
        target.writeProtect = WriteProtectPolicy(onProtected: .writableRegionsOnly, apply: Self.upperQuarter)
        let record = try await operation(chip, target: target).run(imageURL: try writeImage(image, in: chip))
        #expect(record.outcome == .writtenUnprotectedRegions)
        #expect(record.regionsSkipped == ["write-protected"])
        #expect(record.blocksWritten == 3072)
        #expect(record.writeProtectConfirmed == true)
        #expect(record.writeProtectAfter == Self.upperQuarter)
        let after = chip.contents
        let lowerWritten = after[..<0xC00000] == image[..<0xC00000]
        let upperUntouched = after[0xC00000...] == old[0xC00000...]
        #expect(lowerWritten)
        #expect(upperUntouched)
        #expect(record.readbackHash == record.expectedHash)
        #expect(record.expectedHash != record.imageHash)
    }

    @Test func wrongChipIsRefused() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let before = SHA256Digest.hex(chip.contents)
        let url = try writeImage(DummyChip.pattern(seed: 5), in: chip)
        var target = Self.w25q128
        target.chipName = "W25Q64.V"
        target.chipSize = nil
        await #expect(throws: FlashError.chipMismatch(expected: "W25Q64.V", found: ["W25Q128.V"])) {
            try await operation(chip, target: target).run(imageURL: url)
        }
        target = Self.w25q128
        target.chipSize = 8 << 20
        let small = try writeImage(DummyChip.pattern(seed: 5, count: 8 << 20), in: chip, name: "small.rom")
        await #expect(throws: FlashError.chipSizeMismatch(chip: "W25Q128.V", expected: 8 << 20, actual: 16 << 20)) {
            try await operation(chip, target: target).run(imageURL: small)
        }
        #expect(SHA256Digest.hex(chip.contents) == before)
        #expect(backups(chip).isEmpty)
    }

    @Test func wrongImageSizeIsRefused() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let before = SHA256Digest.hex(chip.contents)
        let url = try writeImage(DummyChip.pattern(seed: 6, count: 8 << 20), in: chip)
        // Against the board's size (before any session) and against the probed chip.
        await #expect(throws: FlashError.imageSizeMismatch(path: url.path, imageSize: 8 << 20, chipSize: 16 << 20)) {
            try await operation(chip).run(imageURL: url)
        }
        await #expect(throws: FlashError.imageSizeMismatch(path: url.path, imageSize: 8 << 20, chipSize: 16 << 20)) {
            try await operation(chip, target: ExpectedTarget()).run(imageURL: url)
        }
        #expect(SHA256Digest.hex(chip.contents) == before)
    }

    @Test func unreadableImageIsRefused() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let before = SHA256Digest.hex(chip.contents)
        let missing = chip.file("missing.rom")
        await #expect(throws: FlashError.imageUnreadable(path: missing.path, reason: "no such file")) {
            try await operation(chip).run(imageURL: missing)
        }
        await #expect(throws: FlashError.imageUnreadable(path: chip.directory.path, reason: "it is a directory")) {
            try await operation(chip).run(imageURL: chip.directory)
        }
        #expect(SHA256Digest.hex(chip.contents) == before)
    }

    struct RejectEverything: ImageIdentityCheck {
        func check(image: [UInt8], path: String) throws {
            throw FlashError.foreignImage(path: path, reason: "its manifest names board x230")
        }
    }

    @Test func foreignRomIsRefused() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let before = SHA256Digest.hex(chip.contents)
        let url = try writeImage(DummyChip.pattern(seed: 7), in: chip)
        await #expect(throws: FlashError.foreignImage(path: url.path, reason: "its manifest names board x230")) {
            try await operation(chip, identity: RejectEverything()).run(imageURL: url)
        }
        #expect(SHA256Digest.hex(chip.contents) == before)
    }

    @Test func failedVerificationRestoresTheBackup() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let old = chip.contents
        let oldHash = SHA256Digest.hex(old)
        var image = old
        for i in 0x200000..<0x210000 { image[i] = 0x42 }
        let url = try writeImage(image, in: chip)
        let hooks = FlashTestHooks(mutateVerificationReadback: { $0[0x200005] ^= 0x01 })
        var thrown: FlashError?
        do {
            _ = try await operation(chip, hooks: hooks).run(imageURL: url)
        } catch let error as FlashError {
            thrown = error
        }
        guard case .verificationFailed(let expected, let readback, let backupPath, let backupHash, let restored) = thrown else {
            Issue.record("expected verificationFailed, got \(String(describing: thrown))")
            return
        }
        #expect(expected == SHA256Digest.hex(image))
        #expect(readback != expected)
        #expect(backupHash == oldHash)
        #expect(restored == oldHash)
        #expect(backupPath.hasSuffix("\(oldHash).rom"))
        let restoredChip = chip.contents == old
        #expect(restoredChip)
        #expect(thrown?.message.contains("was written back and verified") == true)
    }

    /// A programmer that refuses page-program (0x02): the write fails half-way (blocks
    /// erased), the retry and the restore fail too, and the error says so with both hashes.
    @Test func aWriteThatFailsReportsTheChipState() async throws {
        var chip = try DummyChip()
        defer { chip.remove() }
        let old = chip.contents
        var image = old
        for i in 0x10000..<0x12000 { image[i] = 0x11 }
        let url = try writeImage(image, in: chip)
        chip.extraParameters = ",spi_blacklist=02"
        var thrown: FlashError?
        do { _ = try await operation(chip).run(imageURL: url) } catch let error as FlashError { thrown = error }
        guard case .verificationFailed(_, let readback, _, let backupHash, let restored) = thrown else {
            Issue.record("expected verificationFailed, got \(String(describing: thrown))")
            return
        }
        #expect(backupHash == SHA256Digest.hex(old))
        #expect(readback != backupHash)
        #expect(restored != nil && restored != backupHash)
        #expect(restored == SHA256Digest.hex(chip.contents))
        #expect(thrown?.message.contains("ALSO failed") == true)
        #expect(thrown?.fix?.contains("do NOT power the board off") == true)
        // The backup is on disk to recover from.
        #expect(backups(chip) == ["\(backupHash).rom"])
    }

    @Test func dryRunPlansWithoutWriting() async throws {
        let chip = try DummyChip(protected: true)
        defer { chip.remove() }
        let before = SHA256Digest.hex(chip.contents)
        var image = chip.contents
        image[0x1000] ^= 0xff
        let url = try writeImage(image, in: chip)
        let conservative = try await operation(chip, dryRun: true).run(imageURL: url)
        #expect(conservative.outcome == .planned)
        #expect(conservative.plan.decision == .refuseUnlessProtectedRangeUnchanged)
        #expect(conservative.plan.contentsKnown == false)
        let exact = try await operation(chip, dryRun: true, readsChip: true).run(imageURL: url)
        #expect(exact.plan.decision == .write)
        #expect(exact.plan.blocksToWrite == 1)
        #expect(exact.plan.bytesChanged == 1)
        #expect(SHA256Digest.hex(chip.contents) == before)
        #expect(backups(chip).isEmpty)
    }
}

/// Collects progress reports from the flash (called on the flashing thread).
final class PhaseLog: @unchecked Sendable {
    private let lock = NSLock()
    private var reports: [FlashProgress] = []
    func append(_ report: FlashProgress) { lock.withLock { reports.append(report) } }
    var finished: [FlashProgress.Phase] { lock.withLock { reports.filter(\.finished).map(\.phase) } }
}
