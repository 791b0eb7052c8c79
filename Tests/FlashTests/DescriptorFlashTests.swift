import Boot
@testable import Flash
import Foundation
import Support
import Testing

/// Flashing a chip that holds an Intel flash descriptor, here a one-chip 16 MiB Ivy Bridge
/// layout on the dummy W25Q128FV loaded with a synthetic owner's backup (the X230's two-chip
/// case runs through the CLI in `X230FlashTests`: libflashrom 1.3's dummy keeps an emulated
/// MX25L6436's ID for later sessions of the same process). Only the BIOS region changes; the
/// descriptor, GbE and ME regions stay byte-identical; a different descriptor, a moved BIOS
/// region or a chip without a descriptor are refused before any write.
@Suite(.serialized) struct DescriptorFlashTests {
    static let bottom = 16 << 20
    static let bios = ByteRange(start: 0x500000, length: 0xB00000)
    static let target: ExpectedTarget = {
        var target = ExpectedTarget(chipName: "W25Q128.V", chipSize: bottom)
        target.descriptor = DescriptorPolicy(writtenRegions: [.bios], imageBIOSRegion: bios)
        return target
    }()

    /// The owner's chip: descriptor, GbE, ME and a vendor BIOS.
    static var backupBottom: [UInt8] {
        SyntheticFlashBackup.make(regions: [.init(kind: .descriptor, base: 0, limit: 0xFFF), .init(kind: .gbe, base: 0x1000, limit: 0x2FFF),
                                            .init(kind: .me, base: 0x3000, limit: 0x4FFFFF), .init(kind: .bios, base: 0x500000, limit: 0xFFFFFF)],
                                  componentSizes: [16 << 20], seed: 16).bytes
    }

    /// What `ownerboot build` makes for such a board: erased below the BIOS region, new bytes inside it.
    static var builtBottom: [UInt8] {
        var rom = [UInt8](repeating: 0xFF, count: bottom)
        rom.replaceSubrange(bios.start..<bottom, with: DummyChip.pattern(seed: 99, count: bottom - bios.start))
        return rom
    }

    func chip(_ contents: [UInt8]) throws -> DummyChip { try DummyChip(contents: contents) }

    func run(_ chip: DummyChip, image: [UInt8], target: ExpectedTarget = target, dryRun: Bool = false) async throws -> FlashRecord {
        let operation = FlashOperation(programmer: chip.programmer, target: target,
                                       options: .init(backupDirectory: chip.file("backups"), dryRun: dryRun), logger: DummyChip.quietLogger)
        return try await operation.run(image: FlashImage(path: "intel-board.rom", bytes: image))
    }

    static var x230Bottom: [UInt8] { Array(SyntheticFlashBackup.x230().bytes.prefix(8 << 20)) }
    static var x230BuiltBottom: [UInt8] {
        var rom = [UInt8](repeating: 0xFF, count: 8 << 20)
        rom.replaceSubrange(0x500000..<(8 << 20), with: DummyChip.pattern(seed: 99, count: (8 << 20) - 0x500000))
        return rom
    }

    func same(_ a: ArraySlice<UInt8>, _ b: ArraySlice<UInt8>) -> Bool { a.elementsEqual(b) }

    @Test func onlyTheBIOSRegionIsWrittenAndTheOwnersRegionsStayByteIdentical() async throws {
        let backup = Self.backupBottom, image = Self.builtBottom
        let chip = try chip(backup)
        defer { chip.remove() }
        let record = try await run(chip, image: image)
        #expect(record.outcome == .written)
        let after = chip.contents
        let owners = same(after[0..<Self.bios.start], backup[0..<Self.bios.start])
        let biosWritten = same(after[Self.bios.start...], image[Self.bios.start...])
        #expect(owners, "descriptor, GbE and ME must stay as on the chip")
        #expect(biosWritten)
        #expect(record.blocksWritten == (Self.bottom - Self.bios.start) / 4096)
        #expect(record.plan.writes.allSatisfy { Self.bios.contains($0.range) })
        let layout = try #require(record.descriptor)
        #expect(layout.regions.map(\.name) == ["fd", "bios", "me", "gbe"])
        #expect(layout.regions.filter(\.written).map(\.name) == ["bios"])
        #expect(layout.regions.first { $0.name == "bios" }?.range == Self.bios)
        #expect(layout.regions.first { $0.name == "me" }?.chipSHA256 == SHA256Digest.hex(Array(backup[0x3000..<0x500000])))
        // The backup is the whole old chip.
        let backupFile = try #require(record.backupPath)
        #expect(try SHA256Digest.hex(fileAt: URL(fileURLWithPath: backupFile)) == SHA256Digest.hex(backup))
    }

    @Test func theDryRunPlansRegionByRegionAndWritesNothing() async throws {
        let backup = Self.backupBottom
        let chip = try chip(backup)
        defer { chip.remove() }
        let record = try await run(chip, image: Self.builtBottom, dryRun: true)
        #expect(record.outcome == .planned)
        #expect(record.plan.contentsKnown, "a descriptor chip is always read")
        #expect(record.plan.regions.filter(\.written).map(\.name) == ["bios"])
        #expect(record.plan.regions.filter { $0.changed == true }.map(\.name) == ["bios"], "the image's erased low part is not a change")
        #expect(record.descriptor?.regions.filter { !$0.written }.map(\.name) == ["fd", "me", "gbe"])
        #expect(chip.contents == backup)
    }

    @Test func anImageCarryingAnotherDescriptorIsRefusedUntouched() async throws {
        let backup = Self.backupBottom
        let chip = try chip(backup)
        defer { chip.remove() }
        // A full image with a me_cleaner-style descriptor: ME shrunk, BIOS region grown.
        let other = SyntheticFlashBackup.make(regions: [.init(kind: .descriptor, base: 0, limit: 0xFFF), .init(kind: .gbe, base: 0x1000, limit: 0x2FFF),
                                                        .init(kind: .me, base: 0x3000, limit: 0x1FFFF), .init(kind: .bios, base: 0x20000, limit: 0xFFFFFF)],
                                              componentSizes: [16 << 20], seed: 5)
        var image = Self.builtBottom
        image.replaceSubrange(0..<0x20000, with: other.bytes[0..<0x20000])
        do {
            _ = try await run(chip, image: image)
            Issue.record("a different descriptor was flashed")
        } catch let FlashError.descriptorMismatch(differences) {
            #expect(differences.contains { $0.hasPrefix("bios: chip 0x00500000-0x00ffffff") })
            #expect(differences.contains { $0.hasPrefix("me:") })
        }
        #expect(chip.contents == backup)
        #expect(!FileManager.default.fileExists(atPath: chip.file("backups").path), "refused before the backup")
    }

    @Test func aROMBuiltForAnotherBIOSRegionIsRefused() async throws {
        let backup = Self.backupBottom
        let chip = try chip(backup)
        defer { chip.remove() }
        var target = Self.target
        target.descriptor?.imageBIOSRegion = ByteRange(start: 0x400000, length: 0x800000)
        await #expect(throws: FlashError.biosRegionMismatch(descriptor: Self.bios, image: ByteRange(start: 0x400000, length: 0x800000))) {
            _ = try await run(chip, image: Self.builtBottom, target: target)
        }
        #expect(chip.contents == backup)
    }

    @Test func aChipWithoutADescriptorIsRefused() async throws {
        let blank = [UInt8](repeating: 0xFF, count: Self.bottom)
        let chip = try chip(blank)
        defer { chip.remove() }
        await #expect(throws: FlashError.noDescriptorOnChip) { _ = try await run(chip, image: Self.builtBottom) }
        #expect(chip.contents == blank)
    }

    /// Told to, the image's descriptor replaces the chip's; regions it moves must be in the image.
    @Test func replacingTheDescriptorNeedsPermissionAndTheRegionsItMoves() throws {
        let chip = Self.x230Bottom
        var image = chip
        image[0x100] ^= 0xFF  // same regions, another byte in the descriptor (an OEM/strap byte)
        image.replaceSubrange(0x500000..<(8 << 20), with: Self.x230BuiltBottom[0x500000...])
        var policy = DescriptorPolicy(writtenRegions: [.bios], imageBIOSRegion: ByteRange(start: 0x500000, length: 0x700000))
        #expect(throws: FlashError.descriptorMismatch(differences: ["same regions, different bytes (straps, master access or OEM section)"])) {
            _ = try DescriptorLayout.resolve(image: image, chip: chip, policy: policy)
        }
        policy.allowDescriptorChange = true
        let (layout, contents) = try DescriptorLayout.resolve(image: image, chip: chip, policy: policy)
        #expect(layout.descriptorReplaced)
        #expect(layout.regions.filter(\.written).map(\.name) == ["fd", "bios"])
        #expect(contents == image)

        // A descriptor that moves the ME region, in an image that leaves it erased: refused.
        let moved = SyntheticFlashBackup.make(regions: [.init(kind: .descriptor, base: 0, limit: 0xFFF), .init(kind: .gbe, base: 0x1000, limit: 0x2FFF),
                                                        .init(kind: .me, base: 0x3000, limit: 0x1FFFF), .init(kind: .bios, base: 0x20000, limit: 0xBFFFFF)],
                                              componentSizes: [8 << 20, 4 << 20], seed: 5)
        var bare = [UInt8](repeating: 0xFF, count: (8 << 20))
        bare.replaceSubrange(0..<0x1000, with: moved.bytes[0..<0x1000])
        policy.imageBIOSRegion = nil
        #expect(throws: FlashError.descriptorMovesRegion(name: "me")) { _ = try DescriptorLayout.resolve(image: bare, chip: chip, policy: policy) }
    }

    @Test func theWholeFlashAsTheChipsetShowsItWorksToo() throws {
        let backup = SyntheticFlashBackup.x230().bytes
        var image = [UInt8](repeating: 0xFF, count: backup.count)
        image.replaceSubrange(0x500000..<backup.count, with: DummyChip.pattern(seed: 3, count: backup.count - 0x500000))
        let (layout, contents) = try DescriptorLayout.resolve(image: image, chip: backup, policy: DescriptorPolicy(imageBIOSRegion: ByteRange(start: 0x500000, length: 0x700000)))
        #expect(layout.regions.first { $0.name == "bios" }?.range == ByteRange(start: 0x500000, length: 0x700000))
        let kept = contents[0..<0x500000].elementsEqual(backup[0..<0x500000])
        let written = contents[0x500000...].elementsEqual(image[0x500000...])
        #expect(kept && written)
        // A 4 MiB chip is neither the first component nor the whole flash.
        #expect(throws: FlashError.descriptorComponentsMismatch(components: [8 << 20, 4 << 20], chipSize: 4 << 20)) {
            _ = try DescriptorLayout.resolve(image: Array(image.prefix(4 << 20)), chip: Array(backup.prefix(4 << 20)), policy: DescriptorPolicy())
        }
    }
}
