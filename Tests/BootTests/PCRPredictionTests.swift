import Foundation
import Support
import Testing
@testable import Boot

/// The measured-boot prediction against bytes cut out by coreboot's own tools (cbfstool's
/// offsets, `dd`, `sha256sum`), so it is checked by something that is not its own code.
/// The real coreboot 4.15 boot is compared value for value by the pcrs-match scenario.
@Suite struct PCRPredictionTests {
    static let fmd = "FLASH@0xfff00000 1M {\n\tFMAP@0 0x200\n\tCOREBOOT(CBFS)@0x200 0xFFE00\n}\n"

    /// A 1 MiB ROM with an FMAP and a COREBOOT CBFS holding the files coreboot looks up,
    /// compressed and not, plus files it never looks up.
    static func rom(omitting: Set<String> = []) throws -> (dir: URL, rom: URL) {
        let dir = try CorebootTools.scratch("pcr")
        let layout = dir.appendingPathComponent("l.fmd"), fmap = dir.appendingPathComponent("l.fmap")
        try fmd.write(to: layout, atomically: true, encoding: .utf8)
        try CorebootTools.runner.checked("fmaptool", [layout.path, fmap.path])
        let rom = dir.appendingPathComponent("r.rom")
        try CorebootTools.cbfstool(rom, ["create", "-M", fmap.path])
        let text = dir.appendingPathComponent("text")
        try String(repeating: "coreboot measures what it loads. ", count: 400).write(to: text, atomically: true, encoding: .utf8)
        let binary = dir.appendingPathComponent("binary")
        try CorebootTools.write(CorebootTools.sampleContent(5000, seed: 7), to: binary)
        let files: [(String, URL, [String])] = [
            ("config", text, ["-t", "raw"]),
            ("cmos.default", binary, ["-t", "raw"]),
            ("fallback/romstage", text, ["-t", "raw", "-c", "lzma"]),
            ("fallback/postcar", binary, ["-t", "raw"]),
            ("fallback/ramstage", text, ["-t", "raw", "-c", "lz4"]),
            ("cmos_layout.bin", binary, ["-t", "raw"]),
            ("fallback/payload", text, ["-t", "raw"]),
            ("bootblock", binary, ["-t", "raw"]),
        ]
        for (name, file, args) in files where !omitting.contains(name) {
            try CorebootTools.cbfstool(rom, ["add", "-n", name, "-f", file.path] + args)
        }
        return (dir, rom)
    }

    /// sha256sum of `count` bytes at `offset` of `file`, cut out by dd.
    static func digest(_ file: URL, offset: Int, count: Int) throws -> String {
        let out = try CorebootTools.runner.checked("sh", ["-c", "dd if='\(file.path)' bs=1 skip=\(offset) count=\(count) status=none | sha256sum"]).stdoutText
        return String(out.prefix(64))
    }

    /// PCR = SHA-256(PCR ‖ digest) from zero, by sha256sum over the binary concatenation.
    static func extend(_ digests: [String]) throws -> String {
        var pcr = PCRPrediction.zero
        for d in digests {
            let out = try CorebootTools.runner.checked("sh", ["-c", "printf '%s%s' \(pcr) \(d) | xxd -r -p | sha256sum"]).stdoutText
            pcr = String(out.prefix(64))
        }
        return pcr
    }

    @Test func eventsAndPCRMatchWhatCbfstoolPlacesInTheROM() throws {
        let (_, rom) = try Self.rom()
        let image = try CorebootTools.read(rom)
        let prediction = try PCRPrediction.predict(image: image)
        let region = 0x200
        let printed = try CorebootTools.printK(rom, region: "COREBOOT")
        func expected(_ name: String) throws -> String {
            let f = try #require(printed.first { $0.name == name })
            return try Self.digest(rom, offset: region + f.offset + f.metadataSize, count: f.dataSize)
        }
        // FMAP, bootblock, then every lookup in order.
        let names = ["bootblock"] + PCRPrediction.BootPath.fallback.names
        var digests = [try Self.digest(rom, offset: 0, count: 0x200)]
        for name in names { digests.append(try expected(name)) }
        #expect(prediction.events.map(\.name) == ["FMAP: FMAP"] + names.map { "FMAP: COREBOOT CBFS: \($0)" })
        #expect(prediction.events.map(\.digest) == digests)
        #expect(prediction.events.allSatisfy { $0.pcr == 2 })
        #expect(prediction.pcrs.keys.sorted() == [2])
        #expect(prediction.value(ofPCR: 2) == (try Self.extend(digests)))
        #expect(prediction.value(ofPCR: 0) == PCRPrediction.zero)
        #expect(prediction.absent.isEmpty)
        #expect(PCRPrediction.bootPaths(in: image) == [.fallback])
    }

    @Test func aChangedMeasuredFileChangesPCR2AndAnUnmeasuredOneDoesNot() throws {
        let (dir, rom) = try Self.rom()
        let image = try CorebootTools.read(rom)
        let original = try PCRPrediction.predict(image: image).value(ofPCR: 2)
        let printed = try CorebootTools.printK(rom, region: "COREBOOT")
        func flipped(_ name: String) throws -> [UInt8] {
            let f = try #require(printed.first { $0.name == name })
            var copy = image
            copy[0x200 + f.offset + f.metadataSize + 10] ^= 0x01
            return copy
        }
        #expect(try PCRPrediction.predict(image: try flipped("fallback/payload")).value(ofPCR: 2) != original)
        #expect(try PCRPrediction.predict(image: try flipped("fallback/postcar")).value(ofPCR: 2) != original)
        #expect(try PCRPrediction.predict(image: try flipped("bootblock")).value(ofPCR: 2) != original)
        // `config` and `cmos.default` are in the ROM but this coreboot never looks them up.
        #expect(try PCRPrediction.predict(image: try flipped("config")).value(ofPCR: 2) == original)
        #expect(try PCRPrediction.predict(image: try flipped("cmos.default")).value(ofPCR: 2) == original)
        _ = dir
    }

    @Test func filesTheROMLacksAreNotMeasured() throws {
        let (_, rom) = try Self.rom(omitting: ["fallback/postcar", "cmos.default"])
        // cmos.default is not looked up, so only the postcar stage is missing from the events.
        let prediction = try PCRPrediction.predict(image: try CorebootTools.read(rom))
        let omitted: Set<String> = ["fallback/postcar", "cmos.default"]
        #expect(prediction.absent == PCRPrediction.BootPath.fallback.names.filter { omitted.contains($0) })
        #expect(prediction.absent == ["fallback/postcar"])
        #expect(!prediction.events.contains { $0.name.hasSuffix("fallback/postcar") || $0.name.hasSuffix("cmos.default") })
    }

    @Test func aROMWithoutFMAPOrBootblockIsRefusedWithTheReason() throws {
        #expect(throws: BootError.self) { try PCRPrediction.predict(image: [UInt8](repeating: 0xff, count: 1 << 20)) }
        let (_, rom) = try Self.rom(omitting: ["bootblock"])
        do {
            _ = try PCRPrediction.predict(image: try CorebootTools.read(rom))
            Issue.record("a ROM without bootblock was predicted")
        } catch let error as BootError {
            #expect(error.message.contains("bootblock"))
        }
        #expect(PCRPrediction.bootPaths(in: [UInt8](repeating: 0, count: 4096)).isEmpty)
    }

    @Test func anotherPathUsesItsOwnPrefix() throws {
        let (_, rom) = try Self.rom()
        let normal = PCRPrediction.BootPath(name: "normal", region: "COREBOOT", prefix: "normal", lookups: PCRPrediction.BootPath.corebootLookups)
        let prediction = try PCRPrediction.predict(image: try CorebootTools.read(rom), path: normal)
        #expect(prediction.bootPath == "normal")
        #expect(prediction.absent.contains("normal/romstage") && prediction.absent.contains("normal/payload"))
        #expect(prediction.value(ofPCR: 2) != (try PCRPrediction.predict(image: try CorebootTools.read(rom)).value(ofPCR: 2)))
    }

    /// A two-half ROM as qemu-x86's fallback.fmd lays it out: the normal set in NORMAL, the FMAP
    /// and the fallback set (with the bootblock) in the upper half.
    static func twoHalfROM() throws -> (dir: URL, rom: URL) {
        let dir = try CorebootTools.scratch("pcr2")
        let layout = dir.appendingPathComponent("l.fmd"), fmap = dir.appendingPathComponent("l.fmap")
        try "FLASH@0xfff00000 1M {\n\tNORMAL(CBFS)@0x0 0x80000\n\tBIOS@0x80000 0x80000 {\n\t\tFMAP@0x0 0x200\n\t\tCOREBOOT(CBFS)@0x200 0x7fe00\n\t}\n}\n".write(to: layout, atomically: true, encoding: .utf8)
        try CorebootTools.runner.checked("fmaptool", [layout.path, fmap.path])
        let rom = dir.appendingPathComponent("r.rom")
        try CorebootTools.cbfstool(rom, ["create", "-M", fmap.path, "-r", "COREBOOT,NORMAL"])
        for (i, name) in (["bootblock"] + PCRPrediction.BootPath.fallback.names + PCRPrediction.BootPath.normal.names).enumerated() {
            let file = dir.appendingPathComponent("f\(i)")
            try CorebootTools.write(CorebootTools.sampleContent(3000 + i * 100, seed: UInt64(i + 1)), to: file)
            try CorebootTools.cbfstool(rom, ["add", "-r", name.hasPrefix("normal/") ? "NORMAL" : "COREBOOT", "-n", name, "-f", file.path, "-t", "raw"])
        }
        return (dir, rom)
    }

    @Test func theNormalPathMeasuresTheBootblockFromCOREBOOTAndItsSetFromNORMAL() throws {
        let (_, rom) = try Self.twoHalfROM()
        let image = try CorebootTools.read(rom)
        #expect(PCRPrediction.bootPaths(in: image) == [.fallback, .normal])
        let normal = try PCRPrediction.predict(image: image, path: .normal)
        let fallback = try PCRPrediction.predict(image: image, path: .fallback)
        let upper = try CorebootTools.printK(rom, region: "COREBOOT"), lower = try CorebootTools.printK(rom, region: "NORMAL")
        func digest(_ name: String, _ printed: [CorebootTools.PrintedFile], base: Int) throws -> String {
            let f = try #require(printed.first { $0.name == name })
            return try Self.digest(rom, offset: base + f.offset + f.metadataSize, count: f.dataSize)
        }
        var digests = [try Self.digest(rom, offset: 0x80000, count: 0x200), try digest("bootblock", upper, base: 0x80200)]
        for name in PCRPrediction.BootPath.normal.names { digests.append(try digest(name, lower, base: 0)) }
        #expect(normal.events.map(\.name) == ["FMAP: FMAP", "FMAP: COREBOOT CBFS: bootblock"] + PCRPrediction.BootPath.normal.names.map { "FMAP: NORMAL CBFS: \($0)" })
        #expect(normal.events.map(\.digest) == digests)
        #expect(normal.value(ofPCR: 2) == (try Self.extend(digests)))
        #expect(normal.absent.isEmpty && fallback.absent.isEmpty)
        #expect(fallback.events.allSatisfy { !$0.name.contains("NORMAL") })

        // A changed normal payload changes the normal path's PCR 2 only.
        let payload = try #require(lower.first { $0.name == "normal/payload" })
        var changed = image
        changed[payload.offset + payload.metadataSize + 5] ^= 0x01
        #expect(try PCRPrediction.predict(image: changed, path: .normal).value(ofPCR: 2) != normal.value(ofPCR: 2))
        #expect(try PCRPrediction.predict(image: changed, path: .fallback).value(ofPCR: 2) == fallback.value(ofPCR: 2))
        // The normal region erased (a failed update): a normal boot falls back, one path left.
        var erased = image
        for i in 0..<0x80000 { erased[i] = 0xff }
        #expect(PCRPrediction.bootPaths(in: erased) == [.fallback])
    }

    @Test func inspectReportsThePrediction() throws {
        let (_, rom) = try Self.rom()
        let image = try CorebootTools.read(rom)
        let report = try ImageInspector.inspect(image)
        #expect(report.pcrs == [try PCRPrediction.predict(image: image)])
    }

    /// Gated: OWNERBOOT_TEST_MEASURED_ROM=ROM and OWNERBOOT_TEST_MEASURED_CONSOLE=LOG, a ROM
    /// built by the real coreboot 4.15 and the serial console of its boot with a TPM (the
    /// pcrs-match scenario's transcript): coreboot's own measurement log, line by line, is the
    /// predicted event list.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["OWNERBOOT_TEST_MEASURED_ROM"] != nil))
    func predictionIsTheRealCorebootMeasurementLog() throws {
        let env = ProcessInfo.processInfo.environment
        let image = try CorebootTools.read(URL(fileURLWithPath: env["OWNERBOOT_TEST_MEASURED_ROM"]!))
        let console = try String(contentsOfFile: try #require(env["OWNERBOOT_TEST_MEASURED_CONSOLE"]), encoding: .utf8)
        // " PCR-2 <sha256> SHA256 [FMAP: COREBOOT CBFS: fallback/romstage]"
        let logged = console.split(whereSeparator: \.isNewline).compactMap { line -> String? in
            let text = line.trimmingCharacters(in: .whitespaces)
            return text.hasPrefix("PCR-") && text.contains(" SHA256 [") ? text : nil
        }
        let predicted = try PCRPrediction.predict(image: image).events.map { "PCR-\($0.pcr) \($0.digest) SHA256 [\($0.name)]" }
        #expect(!logged.isEmpty)
        #expect(logged == predicted)
    }
}
