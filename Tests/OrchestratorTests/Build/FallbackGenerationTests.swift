import Foundation
import Testing
@testable import Orchestrator

/// `[write_protect] fallback_generation = N`: the ROM derivation reads generation N's ROM as
/// `/inputs/fallback` (its hash is part of the ROM's), the set hash stays that of the normal
/// set, and a generation whose ROM is not in the store is a clear error naming board.toml.
@Suite struct FallbackGenerationTests {
    func fixture(fallbackGeneration: Int?) throws -> FixtureBoard {
        let fixture = try FixtureBoard()
        var toml = FixtureBoard.boardToml.replacingOccurrences(of: "[buildenv]", with: "[write_protect]\nstart = 0x800000\nlength = 0x800000\nmode = \"hardware\"\n" + (fallbackGeneration.map { "fallback_generation = \($0)\n" } ?? "") + "\n[buildenv]")
        toml += "\n\n[components.rom]\nbuilder = \"rom.sh\"\ninputs = [\"bundle\"]\n"
        try fixture.write("board.toml", toml)
        try fixture.write("rom.sh", "printf '%s' \"$OWNERBOOT_MANIFEST\" > /out/fixture.rom\n")
        return fixture
    }

    @Test func theFallbackGenerationsROMIsAnInputOfTheROMOnly() throws {
        let plain = try fixture(fallbackGeneration: nil)
        defer { plain.remove() }
        let base = try plain.plan()
        #expect(base.step(named: "rom")?.inputPaths.contains { $0.name == "fallback" } == false)

        // Generation 1's ROM "in the store": the board that names it plans it as an input.
        let named = try fixture(fallbackGeneration: 1)
        defer { named.remove() }
        let romHash = String(repeating: "ab", count: 32)
        _ = try named.store.recordGeneration(board: "fixture", setHash: "older", components: ["rom": romHash], derivations: [romHash])
        try FileManager.default.createDirectory(at: named.store.path(hash: romHash, name: "rom"), withIntermediateDirectories: true)
        let plan = try named.plan()
        let rom = try #require(plan.step(named: "rom"))
        #expect(rom.inputPaths.first { $0.name == "fallback" }?.path == named.store.path(hash: romHash, name: "rom"))
        #expect(rom.derivation.inputs.contains { $0.name == "fallback" && $0.hash == romHash })
        #expect(plan.setHash == base.setHash)
        #expect(plan.componentHashes["rom"] != base.componentHashes["rom"])

        // A fallback generation the store does not hold.
        let missing = try fixture(fallbackGeneration: 7)
        defer { missing.remove() }
        #expect(throws: BuildError.self) { _ = try missing.plan() }
        do { _ = try missing.plan() } catch let error as BuildError {
            #expect(error.message.contains("fallback_generation = 7") && error.message.contains("board.toml"))
        }
    }
}
