import Foundation
import Testing
@testable import Boot

/// CBFS reading, extraction and editing, cross-checked against cbfstool 4.15.
@Suite struct CBFSTests {
    /// A legacy 16 MiB image with LZMA, LZ4, plain, hashed, stage and payload files.
    static func populatedLegacyImage() throws -> (URL, URL) {
        let dir = try CorebootTools.scratch("cbfs")
        let rom = dir.appendingPathComponent("a.rom")
        try CorebootTools.cbfstool(rom, ["create", "-m", "x86", "-s", "16M"])
        let content = dir.appendingPathComponent("content.bin")
        try CorebootTools.write(CorebootTools.sampleContent(70_000, seed: 1), to: content)
        let small = dir.appendingPathComponent("small.txt")
        try "hello\n".write(to: small, atomically: true, encoding: .utf8)
        try CorebootTools.cbfstool(rom, ["add", "-f", content.path, "-n", "t-lzma", "-t", "raw", "-c", "lzma"])
        try CorebootTools.cbfstool(rom, ["add", "-f", content.path, "-n", "t-lz4", "-t", "raw", "-c", "lz4"])
        try CorebootTools.cbfstool(rom, ["add", "-f", small.path, "-n", "plain", "-t", "raw"])
        try CorebootTools.cbfstool(rom, ["add", "-f", small.path, "-n", "aligned", "-t", "raw", "-a", "4096"])
        try CorebootTools.cbfstool(rom, ["add", "-f", small.path, "-n", "placed", "-t", "raw", "-b", "0x20000"])
        try CorebootTools.cbfstool(rom, ["add", "-f", content.path, "-n", "hashed", "-t", "raw", "-A", "sha256", "-c", "lzma"])
        if let elf = CorebootTools.tinyELF {
            try CorebootTools.cbfstool(rom, ["add-stage", "-f", elf.path, "-n", "fallback/romstage", "-c", "lzma"])
            try CorebootTools.cbfstool(rom, ["add-payload", "-f", elf.path, "-n", "fallback/payload", "-c", "lzma"])
        }
        return (dir, rom)
    }

    static func compare(_ ours: [CBFSFile], _ theirs: [CorebootTools.PrintedFile]) {
        #expect(ours.count == theirs.count, "\(ours.map(\.displayName)) vs \(theirs.map(\.name))")
        for (o, t) in zip(ours, theirs) {
            #expect(o.displayName == t.name)
            #expect(o.offset == t.offset, "\(t.name)")
            #expect(o.type.name == t.type, "\(t.name)")
            #expect(o.metadataSize == t.metadataSize && o.dataSize == t.dataSize && o.totalSize == t.totalSize, "\(t)")
            if let comp = t.extras.first(where: { $0.hasPrefix("comp:") }) {
                #expect(comp == "comp:\(o.compression.name):0x\(String(o.decompressedSize ?? -1, radix: 16))", "\(t.name)")
            }
            if let hash = t.extras.first(where: { $0.hasPrefix("hash:") }) {
                #expect(hash == "hash:\(o.hash?.algorithmName ?? ""):\(o.hash?.digest ?? ""):valid" && o.hash?.valid == true, "\(t.name)")
            }
        }
    }

    @Test func readsWhatCbfstoolPrintsAndExtractsIdenticalBytes() throws {
        let (dir, rom) = try Self.populatedLegacyImage()
        let image = try CorebootTools.read(rom)
        let cbfs = try CBFS.open(image)
        let files = try cbfs.files()
        Self.compare(files, try CorebootTools.printK(rom))
        #expect(files.first { $0.name == "placed" }?.dataOffset == 0x20000)
        #expect(files.first { $0.name == "aligned" }.map { $0.dataOffset % 4096 } == 0)
        if let elf = CorebootTools.tinyELF {
            let e = try CorebootTools.read(elf)
            let entry = (0..<8).reduce(UInt64(0)) { $0 | UInt64(e[24 + $1]) << (8 * UInt64($1)) }
            let stage = files.first { $0.name == "fallback/romstage" }?.stage
            #expect(stage?.entry == entry)
            let printed = try CorebootTools.cbfstool(rom, ["print", "-v"])
            #expect(printed.contains("entry: 0x\(String(entry, radix: 16)), load: 0x\(String(stage?.loadAddress ?? 0, radix: 16)), memlen: \(stage?.memoryLength ?? 0)"))
        }
        for name in ["t-lzma", "t-lz4", "plain", "hashed", "aligned", "placed"] {
            let out = dir.appendingPathComponent("x-\(name)")
            try CorebootTools.cbfstool(rom, ["extract", "-n", name, "-f", out.path])
            let same = try cbfs.extract(named: name) == CorebootTools.read(out)
            #expect(same, "\(name)")
        }
        // The SELF payload's segments match cbfstool's listing.
        if CorebootTools.tinyELF != nil {
            let payload = try #require(files.first { $0.name == "fallback/payload" })
            let bytes = Array(cbfs.storedData(of: payload))
            let selfp = try SELFPayload(parsing: bytes)
            #expect(selfp.segments.contains { $0.type == .code && $0.loadAddress == 0x100000 })
            for segment in selfp.segments where segment.type != .entry && segment.type != .bss {
                let data = try selfp.data(of: segment, in: bytes)
                #expect(data.count == segment.memoryLength || segment.compression == .none)
            }
        }
    }

    @Test func corruptedHashIsReported() throws {
        let (_, rom) = try Self.populatedLegacyImage()
        var image = try CorebootTools.read(rom)
        let cbfs = try CBFS.open(image)
        let hashed = try #require(try cbfs.file(named: "hashed"))
        image[hashed.dataOffset + 20] ^= 0xff
        let damaged = try CBFS.open(image)
        let file = try #require(try damaged.file(named: "hashed"))
        #expect(file.hash?.valid == false)
        #expect(throws: BootError.self) { try damaged.extract(file) }
    }

    @Test func addRawIsByteIdenticalToCbfstoolAndReadableByIt() throws {
        let dir = try CorebootTools.scratch("add")
        let fmapFile = dir.appendingPathComponent("l.fmap")
        try CorebootTools.write(try FlashMapDescriptor(parsing: CorebootTools.sampleFMD).fmap().serialize(), to: fmapFile)
        for (label, create) in [("fmap", ["create", "-M", fmapFile.path]), ("legacy", ["create", "-m", "x86", "-s", "4M"])] {
            let theirs = dir.appendingPathComponent("\(label)-theirs.rom")
            try CorebootTools.cbfstool(theirs, create)
            var ours = try CorebootTools.read(theirs)
            for (i, size) in [6, 70_000, 1, 4096, 63].enumerated() {
                let data = CorebootTools.sampleContent(size, seed: UInt64(i))
                let f = dir.appendingPathComponent("\(label)-\(i).bin")
                try CorebootTools.write(data, to: f)
                try CorebootTools.cbfstool(theirs, ["add", "-f", f.path, "-n", "dir/file\(i)", "-t", "raw"])
                try CBFS.addRaw(to: &ours, name: "dir/file\(i)", data: data)
            }
            let theirBytes = try CorebootTools.read(theirs)
            let identical = ours == theirBytes
            #expect(identical, "\(label): our add differs from cbfstool's")
            // And cbfstool reads ours: remove one file with cbfstool and compare with our remove.
            let oursURL = dir.appendingPathComponent("\(label)-ours.rom")
            try CBFS.remove(from: &ours, name: "dir/file1")
            try CorebootTools.write(ours, to: oursURL)
            try CorebootTools.cbfstool(theirs, ["remove", "-n", "dir/file1"])
            let sameAfterRemove = try CorebootTools.read(theirs) == ours
            #expect(sameAfterRemove, "\(label): our remove differs from cbfstool's")
            Self.compare(try CBFS.open(ours).files(), try CorebootTools.printK(oursURL))
            let out = dir.appendingPathComponent("\(label)-x")
            try CorebootTools.cbfstool(oursURL, ["extract", "-n", "dir/file3", "-f", out.path])
            #expect(try CorebootTools.read(out) == CorebootTools.sampleContent(4096, seed: 3))
        }
    }

    @Test func addRawReportsMissingSpaceAndDuplicates() throws {
        let dir = try CorebootTools.scratch("full")
        let rom = dir.appendingPathComponent("s.rom")
        try CorebootTools.cbfstool(rom, ["create", "-m", "x86", "-s", "64K"])
        var image = try CorebootTools.read(rom)
        #expect(throws: BootError.self) { try CBFS.addRaw(to: &image, name: "big", data: [UInt8](repeating: 1, count: 70_000)) }
        try CBFS.addRaw(to: &image, name: "a", data: [1, 2, 3])
        #expect(throws: BootError.self) { try CBFS.addRaw(to: &image, name: "a", data: [1]) }
    }

    @Test func manifestRoundTripsThroughAnImage() throws {
        let dir = try CorebootTools.scratch("manifest")
        let rom = dir.appendingPathComponent("m.rom")
        let fmapFile = dir.appendingPathComponent("l.fmap")
        try CorebootTools.write(try FlashMapDescriptor(parsing: CorebootTools.sampleFMD).fmap().serialize(), to: fmapFile)
        try CorebootTools.cbfstool(rom, ["create", "-M", fmapFile.path])
        var image = try CorebootTools.read(rom)
        #expect(try OwnerbootManifest.read(fromImage: image) == nil)
        let manifest = OwnerbootManifest(board: "qemu-x86", generation: 3, setHash: String(repeating: "ab", count: 32),
                                         components: ["rom": "00", "kernel": "11", "firmware": "22"], version: "0.1")
        try manifest.add(to: &image)
        #expect(try OwnerbootManifest.read(fromImage: image) == manifest)
        let text = String(decoding: try manifest.encoded(), as: UTF8.self)
        #expect(text == #"{"board":"qemu-x86","components":{"firmware":"22","kernel":"11","rom":"00"},"format":1,"generation":3,"setHash":"\#(String(repeating: "ab", count: 32))","version":"0.1"}"#)
        // cbfstool sees the same bytes.
        try CorebootTools.write(image, to: rom)
        let out = dir.appendingPathComponent("m.json")
        try CorebootTools.cbfstool(rom, ["extract", "-n", OwnerbootManifest.cbfsName, "-f", out.path])
        #expect(try CorebootTools.read(out) == manifest.encoded())
        let report = try ImageInspector.inspect(image)
        #expect(report.manifest == manifest)
        #expect(report.regions.map(\.name) == ["COREBOOT"])
        #expect(report.fmapOffset == 0x250000)
    }

    @Test func linuxPayloadReportsKernelVersion() throws {
        // A minimal bzImage: a setup header (protocol 2.15) with a version string, then a tiny
        // protected-mode part, which cbfstool turns into a SELF payload.
        var kernel = [UInt8](repeating: 0, count: 5 * 512 + 4096)
        kernel[0x1f1] = 4
        kernel.replaceSubrange(0x1fe..<0x200, with: [0x55, 0xaa])
        kernel.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
        kernel.replaceSubrange(0x206..<0x208, with: [0x0f, 0x02])
        kernel[0x211] = 0x01  // LOADED_HIGH
        kernel.replaceSubrange(0x20e..<0x210, with: [0x00, 0x04])  // version at 0x600
        let version = "6.1.99-ownerboot (test@ownerboot) #1 SMP"
        kernel.replaceSubrange(0x600..<(0x600 + version.utf8.count), with: Array(version.utf8))
        kernel.replaceSubrange(0x22c..<0x230, with: [0xff, 0xff, 0xff, 0x7f])
        kernel.replaceSubrange(0x1f4..<0x1f8, with: [0x00, 0x01, 0x00, 0x00])
        let pm = Array("\0\0Linux version \(version) (gcc)\0".utf8)
        kernel.replaceSubrange((5 * 512)..<(5 * 512 + pm.count), with: pm)
        let header = try BzImageHeader(parsing: kernel)
        #expect(header.kernelVersion == version)
        #expect(header.protocolString == "2.15")
        #expect(header.setupSectors == 4)

        let dir = try CorebootTools.scratch("bz")
        let bz = dir.appendingPathComponent("bzImage"), rom = dir.appendingPathComponent("k.rom")
        try CorebootTools.write(kernel, to: bz)
        try CorebootTools.cbfstool(rom, ["create", "-m", "x86", "-s", "1M"])
        try CorebootTools.cbfstool(rom, ["add-payload", "-f", bz.path, "-n", "fallback/payload", "-C", "console=ttyS0"])
        let report = try ImageInspector.inspect(try CorebootTools.read(rom))
        #expect(report.payload?.kernelVersion == "\(version) (gcc)")
        #expect(report.regions.first?.legacy == true)
    }

    @Test func reportRoundTripsThroughJSON() throws {
        let (_, rom) = try Self.populatedLegacyImage()
        let report = try ImageInspector.inspect(try CorebootTools.read(rom))
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(ImageReport.self, from: data) == report)
        #expect(report.problems.isEmpty)
        #expect(report.payload?.segments.last?.type == .entry)
    }

    /// Gated: OWNERBOOT_TEST_BZIMAGE=/path/to/vmlinuz checks a real kernel (e.g. Debian's
    /// linux-image-*-cloud-amd64) end to end through `cbfstool add-payload`.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["OWNERBOOT_TEST_BZIMAGE"] != nil))
    func realKernelPayload() throws {
        let path = ProcessInfo.processInfo.environment["OWNERBOOT_TEST_BZIMAGE"]!
        let kernel = try CorebootTools.read(URL(fileURLWithPath: path))
        let header = try BzImageHeader(parsing: kernel)
        let release = try #require(header.kernelVersion?.split(separator: " ").first)
        let dir = try CorebootTools.scratch("kernel")
        let rom = dir.appendingPathComponent("k.rom")
        try CorebootTools.cbfstool(rom, ["create", "-m", "x86", "-s", "16M"])
        try CorebootTools.cbfstool(rom, ["add-payload", "-f", path, "-n", "fallback/payload", "-C", "console=ttyS0"])
        let report = try ImageInspector.inspect(try CorebootTools.read(rom))
        #expect(report.payload?.kernelVersion?.hasPrefix(String(release)) == true)
    }
}
