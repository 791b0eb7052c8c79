@testable import Flash
import Foundation
import Support
import Testing

/// The session type over libflashrom, on the dummy programmer's emulated W25Q128FV.
@Suite(.serialized) struct FlashSessionTests {
    @Test func probesEmulatedW25Q128FV() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let probed = try await FlashSession.with(programmer: chip.programmer) { session in
            try session.probe(expecting: "W25Q128.V")
        }
        #expect(probed.name == "W25Q128.V")
        #expect(probed.vendor == "Winbond")
        #expect(probed.sizeBytes == 16 << 20)
    }

    @Test func probeForAnyChipNamesIt() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let probed = try await FlashSession.with(programmer: chip.programmer) { try $0.probe() }
        #expect(probed.name == "W25Q128.V")
    }

    @Test func wrongChipNameIsAMismatch() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        await #expect(throws: FlashError.chipMismatch(expected: "MX25L6436E/MX25L6445E/MX25L6465E/MX25L6473E/MX25L6473F", found: ["W25Q128.V"])) {
            try await FlashSession.with(programmer: chip.programmer) { try $0.probe(expecting: "MX25L6436E/MX25L6445E/MX25L6465E/MX25L6473E/MX25L6473F") }
        }
    }

    @Test func readWriteVerifyRoundTrip() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        var image = chip.contents
        for i in 0x1000..<0x3000 { image[i] = 0x5a }
        let (before, verified, verifiedOld) = try await FlashSession.with(programmer: chip.programmer) { session in
            try session.probe(expecting: "W25Q128.V")
            let before = try session.read()
            try session.write(image, regions: [FlashRegion(name: "a", start: 0x1000, length: 0x2000)], assumingChipHolds: before)
            return (before, try session.verify(image), try session.verify(before))
        }
        let beforeMatches = before == DummyChip.pattern(seed: 1)
        #expect(beforeMatches)
        #expect(verified)
        #expect(!verifiedOld)
        let after = chip.contents == image
        #expect(after)
    }

    @Test func readsHardwareWriteProtection() async throws {
        let chip = try DummyChip(protected: true)
        defer { chip.remove() }
        let (state, ranges) = try await FlashSession.with(programmer: chip.programmer) { session in
            try session.probe()
            return (try session.readWriteProtect(), try session.availableWriteProtectRanges())
        }
        #expect(state == WriteProtectState(range: ByteRange(start: 0xC00000, length: 0x400000), mode: .hardware))
        #expect(ranges.contains(ByteRange(start: 0xC00000, length: 0x400000)))
        #expect(ranges.count > 10)
    }

    @Test func writesSoftwareWriteProtection() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let wanted = WriteProtectState(range: ByteRange(start: 0xC00000, length: 0x400000), mode: .disabled)
        let state = try await FlashSession.with(programmer: chip.programmer) { session in
            try session.probe()
            #expect(try session.readWriteProtect().isProtecting == false)
            try session.writeWriteProtect(wanted)
            return try session.readWriteProtect()
        }
        #expect(state == wanted)
    }

    @Test func unknownProgrammerSuggestsTheClosest() {
        #expect(throws: FlashError.unknownProgrammer(name: "ch341a", suggestion: "ch341a_spi")) {
            try ProgrammerString(parsing: "ch341a")
        }
        #expect((try? ProgrammerString(parsing: "dummy:emulate=W25Q128FV,size=1")) == ProgrammerString(name: "dummy", parameters: "emulate=W25Q128FV,size=1"))
        #expect((try? ProgrammerString(parsing: "internal")) == ProgrammerString(name: "internal"))
    }

    @Test func programmerInitFailureShutsDownCleanly() async throws {
        await #expect(throws: FlashError.self) {
            try await FlashSession.with(programmer: ProgrammerString(name: "dummy", parameters: "emulate=NOSUCHCHIP")) { try $0.probe() }
        }
        // A session after a failed one works: the library was shut down.
        let chip = try DummyChip()
        defer { chip.remove() }
        let probed = try await FlashSession.with(programmer: chip.programmer) { try $0.probe() }
        #expect(probed.sizeBytes == 16 << 20)
    }

    /// Sessions started in parallel serialise on the process-wide gate instead of crashing.
    @Test func parallelSessionsSerialise() async throws {
        let chips = try (0..<3).map { _ in try DummyChip() }
        defer { chips.forEach { $0.remove() } }
        let programmers = chips.map(\.programmer)
        let sizes = try await withThrowingTaskGroup(of: Int.self) { group in
            for programmer in programmers {
                group.addTask { try await FlashSession.with(programmer: programmer) { try $0.probe().sizeBytes } }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(sizes == [16 << 20, 16 << 20, 16 << 20])
    }

    @Test func parsesFoundLines() {
        #expect(FlashromLogSink.parseFound("Found Winbond flash chip \"W25Q128.V\" (16384 kB, SPI) on dummy.") == ProbedChip(vendor: "Winbond", name: "W25Q128.V", sizeBytes: 16 << 20))
        #expect(FlashromLogSink.parseFound("Found persistent image chip.bin, 16777216 B matches.") == nil)
    }
}

/// Early filtering: the levels formatted never include SPEW (16.8 M messages per 16 MiB read)
/// unless asked for, and always include INFO (probe results are read from it).
struct FlashromLogThresholdTests {
    @Test func thresholds() {
        #expect(FlashromLogSink.threshold(for: .info) == 2)      // FLASHROM_MSG_INFO
        #expect(FlashromLogSink.threshold(for: .critical) == 2)
        #expect(FlashromLogSink.threshold(for: .debug) == 3)     // FLASHROM_MSG_DEBUG
        #expect(FlashromLogSink.threshold(for: .trace) == 4)     // FLASHROM_MSG_DEBUG2, not SPEW (5)
    }
}

/// Scattered changes make a layout of thousands of regions; libflashrom 1.3 must take it.
@Suite(.serialized) struct ManyRegionsTests {
    @Test func everyOtherBlockChanged() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let old = chip.contents
        var image = old
        for block in stride(from: 0, to: 4096, by: 2) { image[block * 4096 + 7] ^= 0xff }
        let plan = FlashPlan.make(image: image, current: old, eraseBlockSize: 4096, protection: .unprotected)
        #expect(plan.writes.count == 2048)
        try await FlashSession.with(programmer: chip.programmer, logger: DummyChip.quietLogger) { session in
            try session.probe()
            try session.write(image, regions: plan.writes, assumingChipHolds: old)
        }
        let written = chip.contents == image
        #expect(written)
    }
}
