import Foundation
import Testing
@testable import Boot

/// FMAP and .fmd, cross-checked against fmaptool and `cbfstool layout -w`.
@Suite struct FMAPTests {
    @Test func fmdCompilesToTheSameBytesAsFmaptool() throws {
        let dir = try CorebootTools.scratch("fmd")
        let fmd = dir.appendingPathComponent("layout.fmd")
        try CorebootTools.sampleFMD.write(to: fmd, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("layout.fmap")
        let cbfsList = try CorebootTools.runner.checked("fmaptool", [fmd.path, out.path]).stdoutText
        let theirs = try CorebootTools.read(out)
        let descriptor = try FlashMapDescriptor(parsing: CorebootTools.sampleFMD)
        let ours = try descriptor.fmap().serialize()
        #expect(ours == theirs)
        #expect(descriptor.cbfsRegionNames.joined(separator: ",") == cbfsList.trimmingCharacters(in: .whitespacesAndNewlines))
        let parsed = try FMAP.parse(theirs, at: 0)
        #expect(parsed == (try descriptor.fmap()))
        #expect(parsed.area(named: "RW_MRC_CACHE")?.flags == .preserve)
        #expect(parsed.area(named: "COREBOOT")?.offset == 0x350800)
        #expect(parsed.area(named: "COREBOOT")?.size == 0xcaf800)
    }

    @Test func fmdVariantsMatchFmaptool() throws {
        let layouts = [
            "FLASH 8M { BIOS@0x400000 4M { FMAP@0 0x200 COREBOOT(CBFS) } }",
            "FLASH@0xff800000 0x800000 {\n  RO_SECTION 0x400000 { FMAP 1K  RO_FRID 0x40  COREBOOT(CBFS) }\n  RW_A(CBFS)\n  RW_NVRAM(PRESERVE)@0x7f0000 64K\n}",
            "ROM 1M { FMAP 0x200 A 0x10 B(PRESERVE) 0x10 C@0x400 256 COREBOOT(CBFS) }",
        ]
        let dir = try CorebootTools.scratch("fmd")
        for (i, text) in layouts.enumerated() {
            let fmd = dir.appendingPathComponent("\(i).fmd"), out = dir.appendingPathComponent("\(i).fmap")
            try text.write(to: fmd, atomically: true, encoding: .utf8)
            try CorebootTools.runner.checked("fmaptool", [fmd.path, out.path])
            let ours = try FlashMapDescriptor(parsing: text).fmap().serialize()
            #expect(ours == (try CorebootTools.read(out)), "layout \(i)")
        }
    }

    @Test func fmdErrorsNameTheLine() {
        #expect(throws: FMDError.self) { try FlashMapDescriptor(parsing: "FLASH 1M {\n A 2M\n}") }
        do {
            _ = try FlashMapDescriptor(parsing: "FLASH 1M {\n A 4K\n B(WHAT) 4K\n}")
            Issue.record("accepted an unknown annotation")
        } catch let e as FMDError {
            #expect(e == .syntax(line: 3, reason: "unknown annotation 'WHAT' (known: CBFS, PRESERVE)"))
        } catch { Issue.record("\(error)") }
        #expect(throws: FMDError.self) { try FlashMapDescriptor(parsing: "FLASH 1M { A B }") }
        #expect(throws: FMDError.self) { try FlashMapDescriptor(parsing: "FLASH 1M { A 4K") }
    }

    @Test func cbfstoolAcceptsOurFMAPAndWeReadItsLayout() throws {
        let dir = try CorebootTools.scratch("fmap")
        let fmapFile = dir.appendingPathComponent("ours.fmap")
        try CorebootTools.write(try FlashMapDescriptor(parsing: CorebootTools.sampleFMD).fmap().serialize(), to: fmapFile)
        let rom = dir.appendingPathComponent("x.rom")
        try CorebootTools.cbfstool(rom, ["create", "-M", fmapFile.path])
        let image = try CorebootTools.read(rom)
        let (offset, map) = try FMAP.find(in: image)
        #expect(offset == 0x250000)
        let layout = try CorebootTools.layout(rom)
        #expect(layout.map(\.name) == map.areas.map(\.name))
        for (theirs, ours) in zip(layout, map.areas) {
            #expect(theirs.offset == Int(ours.offset) && theirs.size == Int(ours.size), "\(theirs.name)")
            #expect(theirs.qualifiers.contains("preserve") == ours.flags.contains(.preserve), "\(theirs.name)")
        }
        // Our report's qualifiers say the same as cbfstool's.
        let report = try ImageInspector.inspect(image)
        for (theirs, ours) in zip(layout, report.areas) {
            #expect(theirs.qualifiers == ours.qualifiers, "\(theirs.name)")
        }
    }

    @Test func findsUnalignedMapsAndSkipsDecoys() throws {
        var rng = CorebootTools.SeededRandom(seed: 7)
        var image = rng.bytes(1 << 16)
        let map = FMAP(base: 0, size: 1 << 16, name: "FLASH", areas: [FMAPArea(name: "A", offset: 0, size: 0x100, flags: [.readOnly, .static])])
        let bytes = map.serialize()
        image.replaceSubrange(0x1233..<(0x1233 + bytes.count), with: bytes)
        // A decoy at a better-aligned offset with an unknown version.
        var decoy = bytes
        decoy[8] = 9
        image.replaceSubrange(0x8000..<(0x8000 + decoy.count), with: decoy)
        let found = try FMAP.find(in: image)
        #expect(found.offset == 0x1233)
        #expect(found.map == map)
        #expect(found.map.areas[0].flags.names == ["STATIC", "RO"])
        #expect(FMAP.locate(in: [UInt8](repeating: 0xff, count: 4096)) == nil)
    }

    @Test func truncatedAreaTableThrowsWithOffset() throws {
        let map = FMAP(size: 4096, areas: (0..<4).map { FMAPArea(name: "A\($0)", offset: 0, size: 1) })
        let bytes = Array(map.serialize().dropLast(10))
        #expect(throws: BootError.self) { try FMAP.parse(bytes, at: 0) }
        #expect(FMAP.locate(in: bytes) == nil)
    }
}
