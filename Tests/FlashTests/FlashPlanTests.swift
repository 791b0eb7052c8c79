@testable import Flash
import Testing

/// The flash plan is pure: these tests use small fake chips (64 KiB, 4 KiB blocks).
struct FlashPlanTests {
    static let size = 64 << 10
    static let block = 4 << 10
    /// Upper quarter protected by hardware, as the emulated W25Q128FV with spi_status=0x94.
    static let upperQuarter = WriteProtectState(range: ByteRange(start: 48 << 10, length: 16 << 10), mode: .hardware)

    func chip(_ fill: UInt8 = 0xAA) -> [UInt8] { [UInt8](repeating: fill, count: Self.size) }

    @Test func identicalImageWritesNothing() {
        let plan = FlashPlan.make(image: chip(), current: chip(), eraseBlockSize: Self.block, protection: Self.upperQuarter)
        #expect(plan.decision == .nothingToWrite)
        #expect(plan.writes.isEmpty)
        #expect(plan.bytesChanged == 0)
        #expect(plan.changedBlockCount == 0)
    }

    @Test func changedBytesMapToTheirEraseBlocks() {
        var image = chip()
        image[0x1234] = 0
        image[0x2000] = 0
        image[0x2FFF] = 1
        image[0x8000] = 2
        let plan = FlashPlan.make(image: image, current: chip(), eraseBlockSize: Self.block, protection: Self.upperQuarter)
        #expect(plan.decision == .write)
        #expect(plan.bytesChanged == 4)
        #expect(plan.changedBlockCount == 3)
        #expect(plan.writes.map(\.range) == [ByteRange(start: 0x1000, length: 0x2000), ByteRange(start: 0x8000, length: 0x1000)])
        #expect(plan.blocksToWrite == 3)
        #expect(plan.protectedChangedBlocks.isEmpty)
        #expect(plan.expectedContents(image: image, current: chip()) == image)
    }

    @Test func aChangeInTheProtectedRangeIsRefused() {
        var image = chip()
        image[0x1000] = 0
        image[0xC123] = 0
        let plan = FlashPlan.make(image: image, current: chip(), eraseBlockSize: Self.block, protection: Self.upperQuarter)
        #expect(plan.decision == .refuse)
        #expect(plan.writes.isEmpty)
        #expect(plan.protectedChangedBlocks == [ByteRange(start: 0xC000, length: 0x1000)])
        #expect(plan.skippedRegions.isEmpty)
    }

    @Test func softwareProtectionAlsoProtects() {
        var image = chip()
        image[0xFFFF] = 0
        let software = WriteProtectState(range: Self.upperQuarter.range, mode: .disabled)
        #expect(FlashPlan.make(image: image, current: chip(), eraseBlockSize: Self.block, protection: software).decision == .refuse)
        #expect(FlashPlan.make(image: image, current: chip(), eraseBlockSize: Self.block, protection: .unprotected).decision == .write)
    }

    @Test func writableRegionsOnlySkipsProtectedRegionsWhole() {
        var image = chip()
        image[0x0100] = 0       // in "ro" below the protected range but sharing a region with it
        image[0x4000] = 0       // in "rw"
        image[0xD000] = 0       // in the protected range
        let regions = [
            FlashRegion(name: "rw", start: 0x2000, length: 0x6000),
            FlashRegion(name: "ro", start: 0x8000, length: 0x8000),
            FlashRegion(name: "boot", start: 0x0000, length: 0x2000),
        ]
        let plan = FlashPlan.make(image: image, current: chip(), eraseBlockSize: Self.block, protection: Self.upperQuarter, regions: regions, policy: .writableRegionsOnly)
        #expect(plan.decision == .writeUnprotectedRegions)
        #expect(plan.writes.map(\.range) == [ByteRange(start: 0, length: 0x1000), ByteRange(start: 0x4000, length: 0x1000)])
        #expect(plan.skippedRegions == ["ro"])
        #expect(plan.regions.first { $0.name == "ro" }?.isProtected == true)
        #expect(plan.regions.first { $0.name == "rw" }?.written == true)
        let expected = plan.expectedContents(image: image, current: chip())
        #expect(expected[0x0100] == 0 && expected[0x4000] == 0 && expected[0xD000] == 0xAA)
    }

    @Test func aRegionStraddlingTheProtectedRangeIsNotWrittenAtAll() {
        var image = chip()
        image[0xA000] = 0       // unprotected block, but its region reaches into the protected range
        image[0xE000] = 0
        let regions = [FlashRegion(name: "low", start: 0, length: 0x8000), FlashRegion(name: "straddle", start: 0x8000, length: 0x8000)]
        let plan = FlashPlan.make(image: image, current: chip(), eraseBlockSize: Self.block, protection: Self.upperQuarter, regions: regions, policy: .writableRegionsOnly)
        #expect(plan.decision == .nothingToWrite)
        #expect(plan.writes.isEmpty)
        #expect(plan.skippedRegions == ["straddle"])
    }

    @Test func defaultRegionsSplitAtTheProtectedRange() {
        #expect(FlashPlan.defaultRegions(size: Self.size, protection: Self.upperQuarter).map(\.name) == ["below-wp", "write-protected"])
        let middle = WriteProtectState(range: ByteRange(start: 0x4000, length: 0x4000), mode: .hardware)
        #expect(FlashPlan.defaultRegions(size: Self.size, protection: middle).map(\.range) == [
            ByteRange(start: 0, length: 0x4000), ByteRange(start: 0x4000, length: 0x4000), ByteRange(start: 0x8000, length: 0x8000),
        ])
        #expect(FlashPlan.defaultRegions(size: Self.size, protection: .unprotected).map(\.name) == ["chip"])
    }

    @Test func dryRunWithoutContentsIsConservative() {
        let refuse = FlashPlan.make(image: chip(), current: nil, eraseBlockSize: Self.block, protection: Self.upperQuarter)
        #expect(refuse.decision == .refuseUnlessProtectedRangeUnchanged)
        #expect(refuse.contentsKnown == false)
        #expect(refuse.bytesChanged == nil)
        #expect(refuse.changedBlockCount == 16)
        let regionsOnly = FlashPlan.make(image: chip(), current: nil, eraseBlockSize: Self.block, protection: Self.upperQuarter, policy: .writableRegionsOnly)
        #expect(regionsOnly.decision == .writeUnprotectedRegions)
        #expect(regionsOnly.writes.map(\.range) == [ByteRange(start: 0, length: 0xC000)])
        #expect(regionsOnly.skippedRegions == ["write-protected"])
        let open = FlashPlan.make(image: chip(), current: nil, eraseBlockSize: Self.block, protection: .unprotected)
        #expect(open.decision == .write)
        #expect(open.bytesToWrite == Self.size)
    }

    @Test func byteDiffCountsEveryByte() {
        var a = [UInt8](repeating: 0, count: 37), b = a
        b[0] = 1; b[7] = 0x80; b[8] = 3; b[36] = 9
        let n = a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in ByteDiff.count(pa.baseAddress!, pb.baseAddress!, 37) } }
        #expect(n == 4)
        a[7] = 0x80
        #expect(a.withUnsafeBytes { pa in b.withUnsafeBytes { pb in ByteDiff.count(pa.baseAddress!, pb.baseAddress!, 37) } } == 3)
    }
}
