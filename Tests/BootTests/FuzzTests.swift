import Foundation
import Testing
@testable import Boot

/// Thousands of deterministically mutated images (seeded PRNG): every reader must return or
/// throw `BootError` — never trap, never hang, never throw anything else.
@Suite struct FuzzTests {
    /// Two small seed images made by cbfstool: a legacy CBFS with compressed, hashed, stage and
    /// payload files, and an FMAP image with nested areas and an ownerboot manifest.
    static func seeds() throws -> [[UInt8]] {
        let dir = try CorebootTools.scratch("fuzz")
        let legacy = dir.appendingPathComponent("l.rom")
        try CorebootTools.cbfstool(legacy, ["create", "-m", "x86", "-s", "128K"])
        let content = dir.appendingPathComponent("c.bin")
        try CorebootTools.write(CorebootTools.sampleContent(3000, seed: 5), to: content)
        try CorebootTools.cbfstool(legacy, ["add", "-f", content.path, "-n", "z", "-t", "raw", "-c", "lzma"])
        try CorebootTools.cbfstool(legacy, ["add", "-f", content.path, "-n", "y", "-t", "raw", "-c", "lz4", "-A", "sha256"])
        if let elf = CorebootTools.tinyELF {
            try CorebootTools.cbfstool(legacy, ["add-stage", "-f", elf.path, "-n", "fallback/romstage", "-c", "lzma"])
            try CorebootTools.cbfstool(legacy, ["add-payload", "-f", elf.path, "-n", "fallback/payload", "-c", "lzma"])
        }
        let fmd = "FLASH 128K {\n BIOS 32K { FMAP 0x200 RO_VPD(PRESERVE) 0x200 }\n COREBOOT(CBFS)\n}\n"
        let fmap = dir.appendingPathComponent("f.fmap")
        try CorebootTools.write(try FlashMapDescriptor(parsing: fmd).fmap().serialize(), to: fmap)
        let flashmapped = dir.appendingPathComponent("f.rom")
        try CorebootTools.cbfstool(flashmapped, ["create", "-M", fmap.path])
        try CorebootTools.cbfstool(flashmapped, ["add", "-f", content.path, "-n", "x", "-t", "raw", "-c", "lzma"])
        var image = try CorebootTools.read(flashmapped)
        try OwnerbootManifest(board: "b", generation: 1, setHash: "00", components: ["rom": "11"]).add(to: &image)
        return [try CorebootTools.read(legacy), image]
    }

    static func mutate(_ seed: [UInt8], _ rng: inout CorebootTools.SeededRandom) -> [UInt8] {
        var m = seed
        // Most mutations hit metadata: headers sit at the starts of 64-byte blocks and the FMAP.
        func spot() -> Int {
            if Int.random(in: 0..<4, using: &rng) == 0 { return Int.random(in: 0..<m.count, using: &rng) }
            let block = Int.random(in: 0..<min(m.count / 64, 900), using: &rng) * 64
            let base = Bool.random(using: &rng) ? block : (m.count > 32768 ? 32768 + block : block)
            return min(m.count - 1, base + Int.random(in: 0..<64, using: &rng))
        }
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            for _ in 0..<Int.random(in: 1...8, using: &rng) { m[spot()] ^= UInt8.random(in: 1...255, using: &rng) }
        case 1:
            let interesting: [UInt32] = [0, 1, 0x18, 0x1c, 0x40, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fff0, UInt32(m.count), UInt32(m.count - 4)]
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = spot() & ~3
                guard at + 4 <= m.count else { continue }
                let v = interesting[Int.random(in: 0..<interesting.count, using: &rng)]
                m.writeBE(Bool.random(using: &rng) ? v : v.byteSwapped, at: at)
            }
        case 2:
            m = Array(m.prefix(Int.random(in: 0..<m.count, using: &rng)))
        default:
            // Splice a header from elsewhere (creates self-references and overlaps).
            let from = spot() & ~63, to = spot() & ~63
            let n = min(48, m.count - max(from, to))
            if n > 0 { m.replaceSubrange(to..<(to + n), with: Array(m[from..<(from + n)])) }
        }
        return m
    }

    /// Runs every reader on `image`; records an issue for anything but success or BootError.
    static func exercise(_ image: [UInt8]) {
        func guarded(_ label: String, _ body: () throws -> Void) {
            do { try body() } catch is BootError {} catch { Issue.record("\(label): non-BootError \(type(of: error)): \(error)") }
        }
        guarded("inspect") { _ = try ImageInspector.inspect(image) }
        guarded("manifest") { _ = try OwnerbootManifest.read(fromImage: image) }
        let fmap = FMAP.locate(in: image)?.map
        for info in CBFS.regions(in: image, fmap: fmap) {
            guarded("walk") {
                let cbfs = try CBFS(image: image, range: info.range, firstFileOffset: info.firstFileOffset, alignment: info.alignment)
                for file in try cbfs.files() {
                    guarded("extract \(file.name)") { _ = try cbfs.extract(file, limit: 1 << 20) }
                    if file.type == .payload {
                        guarded("self") {
                            let bytes = Array(cbfs.storedData(of: file))
                            let p = try SELFPayload(parsing: bytes)
                            for s in p.segments where s.type == .code || s.type == .data { _ = try p.data(of: s, in: bytes, limit: 1 << 20) }
                        }
                    }
                }
                var copy = image
                guarded("add") { try CBFS.addRaw(to: &copy, region: info.range, name: "fuzz/new", data: [1, 2, 3], alignment: info.alignment) }
            }
        }
    }

    @Test func mutatedImagesNeverCrash() throws {
        let seeds = try Self.seeds()
        var rng = CorebootTools.SeededRandom(seed: 0x0b0075)
        for seed in seeds { Self.exercise(seed) }
        for i in 0..<3000 {
            Self.exercise(Self.mutate(seeds[i % seeds.count], &rng))
        }
    }

    @Test func mutatedArchivesAndELFsNeverCrash() throws {
        let cpio = try CPIOTests.sample(devices: true).serialize()
        let elf = try CorebootTools.read(URL(fileURLWithPath: "/usr/bin/cpio"))
        var rng = CorebootTools.SeededRandom(seed: 42)
        for i in 0..<1000 {
            var c = cpio
            for _ in 0..<Int.random(in: 1...6, using: &rng) { c[Int.random(in: 0..<min(c.count, 600), using: &rng)] = UInt8.random(in: 0...255, using: &rng) }
            if i % 5 == 0 { c = Array(c.prefix(Int.random(in: 0..<c.count, using: &rng))) }
            do { _ = try CPIOArchive.parse(c) } catch is BootError {} catch { Issue.record("cpio: \(error)") }
            var e = Array(elf.prefix(i % 3 == 0 ? Int.random(in: 0..<elf.count, using: &rng) : elf.count))
            for _ in 0..<Int.random(in: 1...6, using: &rng) where !e.isEmpty {
                e[Int.random(in: 0..<min(e.count, 4096), using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
            do { _ = try ELFFile(parsing: e) } catch is BootError {} catch { Issue.record("elf: \(error)") }
        }
    }

    @Test func specificMalformedHeadersNameTheOffset() throws {
        let seed = try Self.seeds()[0]
        // A file whose length runs past the region.
        var m = seed
        m.writeBE(0xffff_fff0, at: 8)
        do {
            _ = try CBFS.open(m).files()
            Issue.record("accepted a file running past the end")
        } catch let e as BootError {
            guard case .outOfBounds(_, let offset, _, _) = e else { Issue.record("\(e)"); return }
            #expect(offset == 0x2c)  // the data of the first file (24 header + 4 name + 16 compression attribute)
        }
        // A data offset inside the header.
        m = seed
        m.writeBE(4, at: 20)
        #expect(throws: BootError.malformed(what: "CBFS file header", offset: 0, reason: "data offset 4 lies inside the header")) { try CBFS.open(m).files() }
    }
}
