import Boot
import Foundation
import Support
import Testing

/// `ownerboot flash board=x230` end to end, through the built `ownerboot` binary (each run its
/// own process: libflashrom 1.3's dummy keeps an emulated chip's ID between sessions of one
/// process). The bottom chip is an emulated MX25L6436 holding the first 8 MiB of a synthetic
/// owner's backup: descriptor, GbE, ME and the start of a vendor BIOS region.
@Suite(.serialized) struct X230FlashTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = root.appendingPathComponent(".build/debug/ownerboot")

    struct Scratch {
        let dir: URL
        var chip: URL { dir.appendingPathComponent("bottom.bin") }
        var rom: URL { dir.appendingPathComponent("x230.rom") }
        var home: URL { dir.appendingPathComponent("home") }

        func ownerboot(_ arguments: [String]) throws -> ProcessRunner.Result {
            var environment = ProcessInfo.processInfo.environment
            environment["OWNERBOOT_HOME"] = home.path
            environment["OWNERBOOT_BOARDS"] = X230FlashTests.root.appendingPathComponent("boards").path
            return try ProcessRunner(environment: environment, timeout: 120).run(X230FlashTests.binary.path, arguments)
        }

        func flash(_ extra: [String]) throws -> ProcessRunner.Result {
            try ownerboot(["flash", "board=x230", "--chip", "bottom", "--programmer", "dummy:emulate=MX25L6436,image=\(chip.path)", "--image", rom.path] + extra)
        }

        var chipBytes: [UInt8] { (try? [UInt8](Data(contentsOf: chip))) ?? [] }
    }

    /// A 12 MiB ROM laid out as coreboot lays out the X230's (FMAP "BIOS" at 0x500000, 7 MiB),
    /// carrying an ownerboot manifest for x230, with `fill` bytes in its CBFS.
    static func scratch(fill: UInt8 = 0x5A) throws -> Scratch {
        #expect(FileManager.default.isExecutableFile(atPath: binary.path), "build the package first (swift build --build-tests)")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-x230-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let scratch = Scratch(dir: dir)
        let fmd = dir.appendingPathComponent("x230.fmd"), fmap = dir.appendingPathComponent("x230.fmap")
        try "FLASH@0xFF400000 0xC00000 {\n\tBIOS@0x500000 0x700000 {\n\t\tFMAP@0 0x200\n\t\tCOREBOOT(CBFS)@0x200 0x6FFE00\n\t}\n}\n".write(to: fmd, atomically: true, encoding: .utf8)
        try ProcessRunner().checked("fmaptool", [fmd.path, fmap.path])
        try ProcessRunner().checked("cbfstool", [scratch.rom.path, "create", "-M", fmap.path])
        var rom = [UInt8](try Data(contentsOf: scratch.rom))
        try CBFS.addRaw(to: &rom, name: "payload-ish", data: Array(repeating: fill, count: 1 << 20))
        try OwnerbootManifest(board: "x230", generation: 1, setHash: "s", components: [:]).add(to: &rom)
        try Data(rom).write(to: scratch.rom)
        try Data(SyntheticFlashBackup.x230().bytes.prefix(8 << 20)).write(to: scratch.chip)
        return scratch
    }

    @Test func theDryRunPrintsTheRegionByRegionPlan() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let before = s.chipBytes
        let result = try s.flash(["--dry-run"])
        #expect(result.status == 0, "\(result.stderrText)")
        let out = result.stdoutText
        #expect(out.contains("Intel flash descriptor on the chip (components 8 MiB + 4 MiB)"), "\(out)")
        #expect(out.contains("fd    0x00000000-0x00000fff (4 KiB)  Flash Descriptor: keep (owner's)"), "\(out)")
        #expect(out.contains("gbe   0x00001000-0x00002fff (8 KiB)  GbE: keep (owner's)"), "\(out)")
        #expect(out.contains("me    0x00003000-0x004fffff"), "\(out)")
        #expect(out.contains("bios  0x00500000-0x007fffff (3 MiB)  BIOS: write: 768 erase blocks"), "\(out)")
        #expect(out.contains("protect   none"), "\(out)")
        #expect(s.chipBytes == before, "a dry run writes nothing")
    }

    @Test func theBIOSRegionIsWrittenAndEveryOtherRegionStaysByteIdentical() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let before = s.chipBytes
        #expect(try s.ownerboot(["fleet", "add", "laptop", "board=x230"]).status == 0)
        let result = try s.flash(["--device", "laptop"])
        #expect(result.status == 0, "\(result.stderrText)")
        // The inventory names the whole ROM and its generation, not the chip's part.
        let shown = try s.ownerboot(["fleet", "show", "laptop", "--json"]).stdoutText
        let romHash = SHA256Digest.hex([UInt8](try Data(contentsOf: s.rom)))
        #expect(shown.contains(romHash) && shown.contains("\"generation\" : 1"), "\(shown)")
        let after = s.chipBytes
        let rom = [UInt8](try Data(contentsOf: s.rom))
        let ownersKept = after[0..<0x500000].elementsEqual(before[0..<0x500000])
        let biosWritten = after[0x500000...].elementsEqual(rom[0x500000..<0x800000])
        #expect(ownersKept, "descriptor, GbE and ME regions must be byte-identical")
        #expect(biosWritten, "the bottom chip's part of the BIOS region holds the ROM's")
        #expect(result.stdoutText.contains("✓ matches"), "\(result.stdoutText)")
    }

    @Test func aROMWithAnotherDescriptorIsRefusedAndTheChipUntouched() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        // The ROM now carries a descriptor that gives the BIOS region 11.9 MiB (as after me_cleaner).
        var rom = [UInt8](try Data(contentsOf: s.rom))
        let other = IntelFlashDescriptor.encode(regions: [.init(kind: .descriptor, base: 0, limit: 0xFFF), .init(kind: .gbe, base: 0x1000, limit: 0x2FFF),
                                                          .init(kind: .me, base: 0x3000, limit: 0x1FFFF), .init(kind: .bios, base: 0x20000, limit: 0xBFFFFF)],
                                                componentSizes: [8 << 20, 4 << 20])
        rom.replaceSubrange(0..<other.count, with: other)
        try Data(rom).write(to: s.rom)
        let before = s.chipBytes
        let result = try s.flash([])
        #expect(result.status != 0)
        #expect(result.stderrText.contains("the image's flash descriptor differs from the chip's"), "\(result.stderrText)")
        #expect(result.stderrText.contains("--write-descriptor"), "the fix names the override")
        #expect(s.chipBytes == before)
    }

    @Test func theTopChipTakesTheROMsLastFourMiBAndTwoChipsNeedChoosing() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let top = s.dir.appendingPathComponent("top.bin")
        try Data(repeating: 0xFF, count: 4 << 20).write(to: top)
        // SST25VF032B is the dummy's 4 MiB chip; an X230 top chip is a 25L32 part of another vendor.
        let result = try s.ownerboot(["flash", "board=x230", "--chip", "top", "--programmer", "dummy:emulate=SST25VF032B,image=\(top.path)",
                                      "--image", s.rom.path, "--chip-name", "SST25VF032B"])
        #expect(result.status == 0, "\(result.stderrText)")
        let rom = [UInt8](try Data(contentsOf: s.rom))
        let topBytes = [UInt8](try Data(contentsOf: top))
        #expect(topBytes.elementsEqual(rom[0x800000...]), "the top chip holds the ROM's last 4 MiB")
        let noChip = try s.ownerboot(["flash", "board=x230", "--programmer", "ch341a_spi", "--image", s.rom.path, "--dry-run"])
        #expect(noChip.status != 0)
        #expect(noChip.stderrText.contains("board x230 has 2 chips"), "\(noChip.stderrText)")
        #expect(noChip.stderrText.contains("--chip bottom or --chip top"), "\(noChip.stderrText)")
    }

    /// `ownerboot rehearse` loads the synthetic backup into an emulated chip itself, flashes,
    /// and checks the kept regions read back unchanged.
    @Test func aRehearsalFlashesTheSyntheticBackupAndChecksTheKeptRegions() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        let result = try s.ownerboot(["rehearse", "board=x230", "--chip", "bottom", "--image", s.rom.path])
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("kept      fd, me, gbe: byte-identical after the flash ✓"), "\(result.stdoutText)")
        let json = try s.ownerboot(["rehearse", "board=x230", "--chip", "top", "--image", s.rom.path, "--json"])
        #expect(json.status == 0, "\(json.stderrText)")
        #expect(json.stdoutText.contains("\"emulation\" : \"SST25VF032B\""), "\(json.stdoutText)")
    }

    /// The X230's firmware locks its whole flash against the chipset (PCH PR0 + FLOCKDN):
    /// `--programmer internal` is refused before any programmer starts, the error names the
    /// clip commands, and the same ROM still flashes through a clip (an emulated one here).
    @Test func theInternalProgrammerIsRefusedOnTheLockedFlashAndTheClipWrites() throws {
        let s = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: s.dir) }
        for chip in [[], ["--chip", "all"]] {
            let refused = try s.ownerboot(["flash", "board=x230", "--programmer", "internal", "--image", s.rom.path, "--dry-run"] + chip)
            #expect(refused.status != 0)
            #expect(refused.stderrText.contains("locks 0x00000000-0x00bfffff (12 MiB) against writes through the chipset (PCH PR0 + FLOCKDN"), "\(refused.stderrText)")
            #expect(refused.stderrText.contains("--chip bottom --programmer ft2232_spi:type=2232H --image ROM"), "\(refused.stderrText)")
        }
        let before = s.chipBytes
        let clip = try s.flash([])
        #expect(clip.status == 0, "\(clip.stderrText)")
        #expect(s.chipBytes != before, "the clip wrote the BIOS region")
    }
}
