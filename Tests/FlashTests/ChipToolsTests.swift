@testable import Flash
import Foundation
import Support
import Testing

/// `read`, `verify` and `wp` on the emulated W25Q128FV.
@Suite(.serialized) struct ChipToolsTests {
    @Test func readWritesTheWholeChipAtomically() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let out = chip.file("dump/dump.rom")
        let result = try await ChipReadout.read(programmer: chip.programmer, chipName: "W25Q128.V", to: out)
        #expect(result.sha256 == SHA256Digest.hex(chip.contents))
        #expect(SHA256Digest.hex(try [UInt8](Data(contentsOf: out))) == result.sha256)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: chip.file("dump").path)
        #expect(leftovers == ["dump.rom"])
    }

    @Test func readOfTheWrongChipLeavesNoFile() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let out = chip.file("dump.rom")
        await #expect(throws: FlashError.self) {
            try await ChipReadout.read(programmer: chip.programmer, chipName: "W25Q64.V", to: out)
        }
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }

    @Test func verifyFindsTheFirstDifference() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        var image = chip.contents
        let same = chip.file("same.rom")
        try Data(image).write(to: same)
        image[0x123456] ^= 0xff
        image[0x200000] ^= 0x01
        let other = chip.file("other.rom")
        try Data(image).write(to: other)
        let ok = try await ChipReadout.verify(programmer: chip.programmer, image: same)
        #expect(ok.matches)
        #expect(ok.firstDifference == nil)
        let bad = try await ChipReadout.verify(programmer: chip.programmer, image: other)
        #expect(!bad.matches)
        #expect(bad.firstDifference == 0x123456)
        #expect(bad.bytesDiffering == 2)
    }

    @Test func writeProtectEnableAndDisable() async throws {
        let chip = try DummyChip()
        defer { chip.remove() }
        let wanted = WriteProtectState(range: ByteRange(start: 0xC00000, length: 0x400000), mode: .disabled)
        let enabled = try await WriteProtectControl.set(wanted, programmer: chip.programmer)
        #expect(enabled.state == wanted)
        // The dummy forgets its status register between sessions, so disable runs on a
        // chip started protected.
        var protectedChip = chip
        protectedChip.spiStatus = "0x14"
        let status = try await WriteProtectControl.status(programmer: protectedChip.programmer)
        #expect(status.state == wanted)
        #expect(status.availableRanges?.contains(wanted.range) == true)
        let disabled = try await WriteProtectControl.set(nil, programmer: protectedChip.programmer)
        #expect(disabled.state.isProtecting == false)
    }

    @Test func hardwareProtectionCannotBeDisabledWhileWPIsAsserted() async throws {
        let chip = try DummyChip(protected: true)
        defer { chip.remove() }
        let status = try await WriteProtectControl.status(programmer: chip.programmer)
        #expect(status.state.mode == .hardware)
        await #expect(throws: FlashError.self) {
            try await WriteProtectControl.set(nil, programmer: chip.programmer)
        }
        await #expect(throws: FlashError.permanentProtectionRefused(range: ByteRange(start: 0, length: 0x1000))) {
            try await WriteProtectControl.set(WriteProtectState(range: ByteRange(start: 0, length: 0x1000), mode: .permanent), programmer: chip.programmer)
        }
    }
}
