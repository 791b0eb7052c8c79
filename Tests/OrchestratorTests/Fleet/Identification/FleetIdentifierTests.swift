import Boot
import Foundation
import Support
import Testing
@testable import Orchestrator

/// Dumps identified against a store that built one generation of a board "demo".
@Suite struct FleetIdentifierTests {
    func withBuiltROM(_ body: (FleetIdentifier, [UInt8]) throws -> Void) throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let romFile = dir.appendingPathComponent("demo.rom")
        try ProcessRunner().checked("cbfstool", [romFile.path, "create", "-m", "x86", "-s", "1M"])
        var rom = Array(try Data(contentsOf: romFile))
        try CBFS.addRaw(to: &rom, name: "payload-ish", data: Array(repeating: 0x5A, count: 4096))
        try OwnerbootManifest(board: "demo", generation: 1, setHash: "set-one", components: ["firmware": "f"]).add(to: &rom)
        let store = try Store(home: dir.appendingPathComponent("home"))
        let romHash = String(repeating: "a", count: 64)
        let output = store.path(hash: romHash, name: "rom")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try Data(rom).write(to: output.appendingPathComponent("demo.rom"))
        try store.recordGeneration(board: "demo", setHash: "set-one", components: ["rom": romHash], derivations: [romHash])
        try body(FleetIdentifier(store: store), rom)
    }

    @Test func anExactDumpMatches() throws {
        try withBuiltROM { identifier, rom in
            let id = try identifier.identify(rom)
            #expect(id.state == .matching)
            #expect(id.board == "demo" && id.generation == 1)
        }
    }

    @Test func aChangedByteNamesTheFile() throws {
        try withBuiltROM { identifier, rom in
            var dump = rom
            let file = try CBFS.open(dump).file(named: "payload-ish")!
            dump[file.offset + file.metadataSize + 100] ^= 0xFF
            let id = try identifier.identify(dump)
            #expect(id.state == .modified)
            #expect(id.differingFiles == ["payload-ish"])
        }
    }

    @Test func foreignRandomAndTruncatedDumpsAreUnknown() throws {
        try withBuiltROM { identifier, rom in
            var foreign = rom
            try CBFS.remove(from: &foreign, name: OwnerbootManifest.cbfsName)
            try OwnerbootManifest(board: "demo", generation: 7, setHash: "never-built", components: [:]).add(to: &foreign)
            let other = try identifier.identify(foreign)
            #expect(other.state == .unknown)
            #expect(other.reason?.contains("never built") == true)
            var rng = SystemRandomNumberGenerator()
            let random = (0..<(1 << 20)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            #expect(try identifier.identify(random).state == .unknown)
            let truncated = try identifier.identify(Array(rom.prefix(1000)))
            #expect(truncated.state == .unknown)
            #expect(truncated.reason?.contains("truncated") == true)
        }
    }
}
