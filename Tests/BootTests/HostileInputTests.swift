import Foundation
import Support
import Testing
@testable import Boot

/// Regression tests for what coverage-guided fuzzing (Fuzz/, scripts/fuzz.sh) and the review
/// around it found: every case traps, corrupts memory or takes minutes without its fix.
/// Time limits are generous (tens of times the fixed code's time in a debug build) and far
/// below what the unfixed code needs, so they fail before the fix on any machine.
@Suite struct HostileInputTests {
    // MARK: - helpers

    /// A CBFS file as bytes: header, NUL-padded name, attributes, data, 0xff up to `align`.
    static func cbfsFile(name: String, type: UInt32 = 0x50, data: [UInt8], attributes: [[UInt8]] = [], align: Int = 64) -> [UInt8] {
        var nameField = Array(name.utf8) + [0]
        while nameField.count % 4 != 0 { nameField.append(0) }
        let attributeStart = CBFS.headerSize + nameField.count
        let attributeBytes = attributes.flatMap { $0 }
        var out = CBFS.fileMagic
        out.appendBE(UInt32(data.count))
        out.appendBE(type)
        out.appendBE(UInt32(attributes.isEmpty ? 0 : attributeStart))
        out.appendBE(UInt32(attributeStart + attributeBytes.count))
        out += nameField + attributeBytes + data
        while out.count % align != 0 { out.append(0xff) }
        return out
    }

    /// A free ("(empty)") entry filling exactly `size` bytes.
    static func emptyEntry(size: Int) -> [UInt8] {
        CBFS.fileHeader(type: .null, length: size - CBFS.headerSize(forName: ""), name: "") + [UInt8](repeating: 0xff, count: size - CBFS.headerSize(forName: ""))
    }

    static func elapsed(_ body: () throws -> Void) rethrows -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        try body()
        return clock.now - start
    }

    // MARK: - .fmd

    /// Found by fuzz-fmd: `0x-B` went through Int(_:radix:), which takes a sign, and the
    /// negative flash size trapped in UInt32(_:).
    @Test func fmdHexNumbersTakeNoSign() throws {
        #expect(throws: FMDError.self) { try FlashMapDescriptor(parsing: "FL 0x-B# qe").fmap() }
        #expect(throws: FMDError.self) { try FlashMapDescriptor(parsing: "FLASH 0x-1000 { FMAP 0x100 }").fmap() }
        #expect(throws: FMDError.self) { try FlashMapDescriptor(parsing: "FLASH@0x-1 4K { FMAP 0x100 }").fmap() }
        #expect(FMDParser.number("0x+10") == nil && FMDParser.number("+16") == nil && FMDParser.number("0x10") == 16)
    }

    /// Offsets and sizes near Int.max made `offset + size` trap while resolving siblings.
    @Test func fmdSumsThatOverflowAreLayoutErrors() throws {
        let big = "0x7fffffffffffffff"
        for text in ["FLASH \(big) { A@\(big) 0x10 }",
                     "FLASH \(big) { A@0x7ffffffffffffff0 \(big) B }",
                     "FLASH \(big) { A@0x10 \(big) }"] {
            #expect(throws: FMDError.self, "\(text)") { try FlashMapDescriptor(parsing: text) }
        }
    }

    /// An FMAP counts its areas in 16 bits; a descriptor with more regions was serialized with
    /// the count silently wrapped.
    @Test func fmdWithMoreRegionsThanAnFMAPHoldsIsAnError() throws {
        var descriptor = try FlashMapDescriptor(parsing: "FLASH 16M { FMAP 0x100 }")
        let child = descriptor.root.children[0]
        descriptor.root.children = (0..<65536).map { i in
            var region = child
            region.name = "R\(i)"
            region.offset = i * 16
            region.size = 16
            return region
        }
        #expect(throws: FMDError.self) { try descriptor.fmap() }
    }

    /// Regions placed from the end (`B@X 1` before it, sizes only) resolved one per round:
    /// quadratic in the number of regions.
    @Test func backwardChainsOfRegionsResolveInFewRounds() throws {
        let n = 20000
        var text = "FLASH \(n + 1) {\n A0\n"
        for i in 1..<n { text += " A\(i) 1\n" }
        text += " FMAP@\(n) 1\n}\n"
        var map: FMAP?
        let time = try Self.elapsed { map = try FlashMapDescriptor(parsing: text).fmap() }
        #expect(map?.areas.count == n + 1)
        #expect(map?.areas.first?.size == 1 && map?.areas[n - 1].offset == UInt32(n - 1))
        #expect(time < .seconds(20), "parse took \(time)")
    }

    // MARK: - CBFS editing

    /// Found by fuzz-cbfs-edit: removing the last file of a region whose size is not a multiple
    /// of the alignment wrote the merged free entry up to the next aligned offset, past the end
    /// of the region and of the image (a heap overflow in release builds, through an unsafe
    /// buffer pointer).
    @Test func removeNeverWritesPastAnUnalignedRegion() throws {
        var image = Self.emptyEntry(size: 1000)
        try CBFS.addRaw(to: &image, region: 0..<1000, name: "a", data: [1, 2, 3])
        #expect(image.count == 1000)
        try CBFS.remove(from: &image, region: 0..<1000, name: "a")
        #expect(image.count == 1000)
        let files = try CBFS(image: image, range: 0..<1000).files()
        #expect(files.allSatisfy { $0.type.isFree } && files.allSatisfy { $0.dataOffset + $0.dataSize <= 1000 })
        // Inside a larger image the bytes after the region stay untouched.
        var larger = Self.emptyEntry(size: 1000) + [UInt8](repeating: 0x5a, count: 100)
        try CBFS.addRaw(to: &larger, region: 0..<1000, name: "a", data: [1, 2, 3])
        try CBFS.remove(from: &larger, region: 0..<1000, name: "a")
        #expect(larger[1000...].allSatisfy { $0 == 0x5a })
    }

    /// Adding a file to an unaligned region measured the free space up to the next aligned
    /// offset and wrote past the region's end.
    @Test func addNeverWritesPastAnUnalignedRegion() throws {
        var image = Self.emptyEntry(size: 1000) + [UInt8](repeating: 0x5a, count: 100)
        let data = [UInt8](repeating: 7, count: 1000 - CBFS.headerSize(forName: "a") + 10)  // 10 bytes too many
        #expect(throws: BootError.self) { try CBFS.addRaw(to: &image, region: 0..<1000, name: "a", data: data) }
        #expect(image[1000...].allSatisfy { $0 == 0x5a })
        var exact = Self.emptyEntry(size: 1000)
        try CBFS.addRaw(to: &exact, region: 0..<1000, name: "a", data: Array(data.dropLast(10)))
        #expect(try CBFS(image: exact, range: 0..<1000).extract(named: "a") == Array(data.dropLast(10)))
    }

    /// A nameless file of 24 header bytes and no data, at a 4-byte alignment (a legacy master
    /// header allows it): merging its space gave a free entry of -4 bytes, and a trap.
    @Test func removeLeavesATooSmallFreeRunAlone() throws {
        var image = CBFS.fileMagic
        for field: UInt32 in [0, 0x50, 0, UInt32(CBFS.headerSize)] { image.appendBE(field) }  // no name, no data
        image += Self.cbfsFile(name: "b", data: [9], align: 4) + Self.emptyEntry(size: 64)
        #expect(try CBFS(image: image, range: 0..<image.count, alignment: 4).files().first?.metadataSize == 24)
        try CBFS.remove(from: &image, region: 0..<image.count, name: "", alignment: 4)
        let files = try CBFS(image: image, range: 0..<image.count, alignment: 4).files()
        #expect(files.first?.type == .deleted && files.contains { $0.name == "b" })
    }

    // MARK: - CBFS reading

    /// Every hash attribute of a file hashed the whole file again: 2000 attributes on 8 MiB of
    /// data were 16 GB of SHA-256.
    @Test func repeatedHashAttributesHashTheDataOnce() throws {
        let data = [UInt8](repeating: 0x42, count: 8 << 20)
        var hash: [UInt8] = []
        hash.appendBE(UInt32(0x6873_6148))
        hash.appendBE(UInt32(44))
        hash.appendBE(UInt32(2))
        hash += SHA256Digest.hex(data).chunked2()
        let image = Self.cbfsFile(name: "h", data: data, attributes: Array(repeating: hash, count: 2000)) + Self.emptyEntry(size: 64)
        var files: [CBFSFile] = []
        let time = try Self.elapsed { files = try CBFS(image: image, range: 0..<image.count).files() }
        #expect(files.first?.hash?.valid == true)
        #expect(time < .seconds(5), "walk took \(time)")
    }

    /// Position and alignment attributes were read 4 bytes past an 8-byte attribute.
    @Test func shortPositionAttributesAreMalformed() throws {
        var position: [UInt8] = []
        position.appendBE(UInt32(0x4243_5350))
        position.appendBE(UInt32(8))
        let image = Self.cbfsFile(name: "p", data: [1], attributes: [position, [0x12, 0x34, 0x56, 0x78]]) + Self.emptyEntry(size: 64)
        #expect(throws: BootError.self) { try CBFS(image: image, range: 0..<image.count).files() }
    }

    /// A hash attribute of an unknown algorithm took its whole length as the digest and hex-
    /// encoded it one allocating String per byte: 8 MiB of metadata cost seconds.
    @Test func unknownHashDigestsAreShownUpToSixtyFourBytes() throws {
        var hash: [UInt8] = []
        hash.appendBE(UInt32(0x6873_6148))
        hash.appendBE(UInt32(12 + (8 << 20)))
        hash.appendBE(UInt32(99))
        hash += [UInt8](repeating: 0xab, count: 8 << 20)
        let image = Self.cbfsFile(name: "u", data: [1], attributes: [hash]) + Self.emptyEntry(size: 64)
        var files: [CBFSFile] = []
        let time = try Self.elapsed { files = try CBFS(image: image, range: 0..<image.count).files() }
        #expect(files.first?.hash?.digest == String(repeating: "ab", count: 64))
        #expect(files.first?.hash?.valid == nil)
        #expect(time < .seconds(5), "walk took \(time)")
    }

    /// A map of 65535 areas all naming the same CBFS: `hasChildren` asked every area about
    /// every other (4·10⁹ comparisons), and the region list walked the CBFS 65535 times.
    @Test func aMapOfManyOverlappingAreasIsInspectedInLinearTime() throws {
        var image = [UInt8](repeating: 0xff, count: 4 << 20)
        let areas = (0..<65535).map { FMAPArea(name: "A\($0)", offset: 3 << 20, size: 1 << 20) }
        let map = FMAP(base: 0, size: UInt32(image.count), areas: areas).serialize()
        image.replaceSubrange(0..<map.count, with: map)
        let cbfs = Self.cbfsFile(name: "x", data: [1, 2, 3]) + Self.emptyEntry(size: (1 << 20) - 64)
        image.replaceSubrange((3 << 20)..<(4 << 20), with: cbfs)
        var report: ImageReport?
        let time = try Self.elapsed { report = try ImageInspector.inspect(image) }
        #expect(report?.areas.count == 65535)
        #expect(report?.regions.count == 1)
        #expect(report?.regions.first?.files.first?.name == "x")
        #expect(report?.problems.contains { $0.contains("overlaps") } == true)
        #expect((report?.problems.count ?? .max) < 100, "one line per skipped region would be 65534 lines")
        #expect(time < .seconds(30), "inspect took \(time)")
    }

    /// `parentFlags` (O(n log n)) answers exactly what `hasChildren` (O(n) per area) does.
    @Test func parentFlagsAgreeWithHasChildren() {
        var rng = CorebootTools.SeededRandom(seed: 17)
        for _ in 0..<300 {
            let areas = (0..<Int.random(in: 0...12, using: &rng)).map { i in
                FMAPArea(name: "A\(i % 5)", offset: UInt32.random(in: 0...8, using: &rng) * 16, size: UInt32.random(in: 0...8, using: &rng) * 16)
            }
            let map = FMAP(size: 0x1000, areas: areas)
            #expect(map.parentFlags == areas.map { map.hasChildren($0) }, "\(areas)")
        }
    }

    /// Two million copies of `__FMAP__` with a bad version: each candidate built and threw an
    /// error (and all were sorted) before the search gave up.
    @Test func aFloodOfFMAPSignaturesIsSearchedInOnePass() throws {
        let record = Array("__FMAP__".utf8) + [2]
        var image: [UInt8] = []
        image.reserveCapacity(16 << 20)
        while image.count + record.count <= 16 << 20 { image += record }
        var found: (offset: Int, map: FMAP)?
        let time = Self.elapsed { found = FMAP.locate(in: image) }
        #expect(found == nil)
        #expect(time < .seconds(10), "locate took \(time)")
        // A valid map among them is still found, and the most aligned one wins.
        let map = FMAP(size: 0x1000, areas: [FMAPArea(name: "X", offset: 0, size: 16)]).serialize()
        image.replaceSubrange(0x1001..<(0x1001 + map.count), with: map)
        image.replaceSubrange(0x40000..<(0x40000 + map.count), with: map)
        #expect(FMAP.locate(in: image)?.offset == 0x40000)
    }

    /// A run of `) #` made each candidate scan to the end of the printable run: quadratic.
    @Test func versionSearchIsLinearOnAdversarialText() {
        let text = [UInt8](repeating: 0, count: 1) + Array(String(repeating: ") #", count: 100_000).utf8) + [0]
        var found: String?
        let time = Self.elapsed { found = BzImageHeader.findVersionString(in: text) }
        #expect(found == nil)
        #expect(time < .seconds(5), "search took \(time)")
        let banner = Array("\0\0junk) # here\0Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP\0".utf8)
        #expect(BzImageHeader.findVersionString(in: banner) == "6.1.0-18-amd64 (debian-kernel@lists.debian.org) (gcc-12) #1 SMP")
    }

    /// The inspector parses only `headerReach` bytes of a DATA segment; that must give what
    /// the whole segment gives, whatever setup_sects and kernel_version say.
    @Test func aHeaderParsedFromItsReachEqualsTheWholeParse() {
        var rng = CorebootTools.SeededRandom(seed: 0x68647253)
        for round in 0..<50 {
            var image = SyntheticFlashBackup.pattern(seed: UInt64(round), count: BzImageHeader.headerReach + Int.random(in: 0...4096, using: &rng))
            image.replaceSubrange(0x202..<0x206, with: Array("HdrS".utf8))
            image[0x1f1] = UInt8.random(in: 0...255, using: &rng)
            let version = Int.random(in: 0..<min(1 << 16, (Int(image[0x1f1]) + 1) * 512), using: &rng)
            image[0x20e] = UInt8(version & 0xff)
            image[0x20f] = UInt8(version >> 8)
            let whole = try? BzImageHeader(parsing: image)
            #expect(whole != nil)
            #expect(whole == (try? BzImageHeader(parsing: Array(image.prefix(BzImageHeader.headerReach)))))
        }
    }

    // MARK: - SELF payloads and decompression

    /// 2000 SELF segments pointing at one LZMA stream of 4 MiB of zeros: 8 GB decompressed, each
    /// segment within its own 256 MiB limit. One budget now covers every segment.
    @Test func payloadSegmentsShareOneDecompressionBudget() throws {
        let dir = try CorebootTools.scratch("budget")
        let zeros = dir.appendingPathComponent("zeros")
        try CorebootTools.write([UInt8](repeating: 0, count: 4 << 20), to: zeros)
        let stream = [UInt8](try CorebootTools.runner.checked("xz", ["--format=lzma", "-c", zeros.path]).stdout)
        let count = 2000
        let dataOffset = (count + 1) * 28
        var payload: [UInt8] = []
        for _ in 0..<count {
            payload.appendBE(UInt32(0x4441_5441))  // DATA
            payload.appendBE(UInt32(1))  // LZMA
            payload.appendBE(UInt32(dataOffset))
            payload.appendBE(UInt64(0x10_0000))
            payload.appendBE(UInt32(stream.count))
            payload.appendBE(UInt32(4 << 20))
        }
        payload.appendBE(UInt32(0x454E_5452))  // ENTRY
        payload += [UInt8](repeating: 0, count: 24)
        payload += stream
        var image = Self.cbfsFile(name: ImageInspector.payloadName, type: 0x20, data: payload)
        image += Self.emptyEntry(size: 4096)
        var report: ImageReport?
        let time = try Self.elapsed { report = try ImageInspector.inspect(image) }
        #expect(report?.payload == nil)
        #expect(report?.problems.contains { $0.contains("budget") } == true, "\(report?.problems ?? [])")
        #expect(time < .seconds(60), "inspect took \(time)")
    }

    /// An LZMA header asking for a 1 GiB dictionary made liblzma allocate it.
    @Test func lzmaDictionariesAreBounded() throws {
        var header: [UInt8] = [0x5d]
        header.appendLE(UInt32(1 << 30))
        header.appendLE(UInt64.max)
        header += [0x00, 0x41, 0xfe, 0xf7, 0xff, 0xff, 0xe0, 0x00, 0x80, 0x00]
        do {
            _ = try Decompression.lzmaAlone(header, expectedSize: nil)
            Issue.record("decoded a stream with a 1 GiB dictionary")
        } catch let BootError.decompression(_, _, reason) {
            #expect(reason.contains("dictionary"), "\(reason)")
        }
    }

    /// `data(of:)` sliced the payload with the segment's own offset; for a segment the parser
    /// had not range-checked (BSS, ENTRY, or one built by a caller) that trapped.
    @Test func segmentDataIsRangeChecked() throws {
        let payload = SELFPayload.Segment(type: .bss, compression: .none, offset: 1 << 20, loadAddress: 0, length: 16, memoryLength: 16)
        let parsed = try SELFPayload(parsing: [UInt8](Array("ENTR".utf8)) + [UInt8](repeating: 0, count: 24))
        #expect(throws: BootError.self) { try parsed.data(of: payload, in: [1, 2, 3]) }
    }

    // MARK: - ELF

    /// Found by fuzz-elf (twice): a library whose RUNPATH is `$ORIGIN/../lib` (the seed) or
    /// `$ORIGIN/lib` (a mutation) and that needs itself was found again under ever longer
    /// paths, /lib/../lib/libc.so.6, /lib/lib/libc.so.6, … without end. ld.so loads a name once.
    @Test func sharedLibraryClosureLoadsEachNameOnce() throws {
        let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/elf")
        for (file, runpath) in [("dynamic.elf", "$ORIGIN/../lib"), ("regress-origin-growth", nil)] {
            let elf = try CorebootTools.read(corpus.appendingPathComponent(file))
            if let runpath { #expect(try ELFFile(parsing: elf).runpath == [runpath]) }
            struct TooManyLookups: Error {}
            var lookups = 0
            let closure = try SharedLibraryClosure.compute(executable: "/bin/x", searchPaths: ["/lib"]) { path in
                lookups += 1
                if lookups > 1000 { throw TooManyLookups() }
                return path == "/bin/x" || path.hasPrefix("/lib/") ? elf : nil
            }
            #expect(closure.files.count <= 2, "\(file): \(closure.files)")
        }
    }

    /// A DT_NEEDED value with the top bit set trapped in Int(_:) before libelf could reject it.
    @Test func elfDynamicValuesOutOfRangeAreErrors() throws {
        var elf = try CorebootTools.read(URL(fileURLWithPath: "/usr/bin/cpio"))
        let r = ByteReader(elf)
        let shoff = Int(try r.u64le("", at: 0x28)), shentsize = Int(try r.u16le("", at: 0x3a)), shnum = Int(try r.u16le("", at: 0x3c))
        var patched = false
        for i in 0..<shnum where !patched {
            let sh = shoff + i * shentsize
            guard try r.u32le("", at: sh + 4) == 6 else { continue }  // SHT_DYNAMIC
            let offset = Int(try r.u64le("", at: sh + 24)), size = Int(try r.u64le("", at: sh + 32))
            for entry in stride(from: offset, to: offset + size, by: 16) where try r.u64le("", at: entry) == 1 {  // DT_NEEDED
                for (k, byte) in [UInt8](repeating: 0, count: 7).enumerated() { elf[entry + 8 + k] = byte }
                elf[entry + 15] = 0x80
                patched = true
                break
            }
        }
        #expect(patched)
        #expect(throws: BootError.self) { try ELFFile(parsing: elf) }
    }
}

extension String {
    /// "0aff…" as bytes.
    fileprivate func chunked2() -> [UInt8] {
        let u = Array(utf8)
        return stride(from: 0, to: u.count, by: 2).map { UInt8(String(decoding: u[$0..<($0 + 2)], as: UTF8.self), radix: 16)! }
    }
}
