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

    /// Which protected half a build keeps: board.toml's fallback_generation, else the ROM last
    /// promoted, else none; none when that is the generation being built; `selfContained`
    /// (what promote writes) ignores both. The set hash is the normal set's every time.
    @Test func theBuildKeepsTheLastPromotedFallbackUnlessBoardTomlNamesOne() throws {
        let fixture = try fixture(fallbackGeneration: nil)
        defer { fixture.remove() }
        let base = try fixture.plan()
        #expect(base.fallbackSource == nil)

        // Promoted generation 7's ROM (another set): the ROM reads it as /inputs/fallback.
        let promotedROM = String(repeating: "cd", count: 32)
        try FileManager.default.createDirectory(at: fixture.store.path(hash: promotedROM, name: "rom"), withIntermediateDirectories: true)
        try fixture.store.recordPromotion(Promotion(board: "fixture", generation: 7, romHash: promotedROM))
        let promoted = try fixture.plan()
        #expect(promoted.step(named: "rom")?.derivation.inputs.contains { $0.name == "fallback" && $0.hash == promotedROM } == true)
        #expect(promoted.fallbackSource == "promoted generation 7")
        #expect(promoted.setHash == base.setHash && promoted.componentHashes["rom"] != base.componentHashes["rom"])

        // promote's own ROM: self-contained whatever was promoted.
        let own = try BuildPlan.make(board: try fixture.board, lock: try fixture.lock, store: fixture.store, selfContained: true)
        #expect(own.componentHashes["rom"] == base.componentHashes["rom"] && own.fallbackSource == nil)

        // board.toml's fallback_generation wins over the promotion.
        let named = try self.fixture(fallbackGeneration: 1)
        defer { named.remove() }
        let namedROM = String(repeating: "ab", count: 32)
        _ = try named.store.recordGeneration(board: "fixture", setHash: "older", components: ["rom": namedROM], derivations: [namedROM])
        try FileManager.default.createDirectory(at: named.store.path(hash: namedROM, name: "rom"), withIntermediateDirectories: true)
        try named.store.recordPromotion(Promotion(board: "fixture", generation: 7, romHash: promotedROM))
        try FileManager.default.createDirectory(at: named.store.path(hash: promotedROM, name: "rom"), withIntermediateDirectories: true)
        let wins = try named.plan()
        #expect(wins.step(named: "rom")?.derivation.inputs.first { $0.name == "fallback" }?.hash == namedROM)
        #expect(wins.fallbackSource == "board.toml fallback_generation = 1")

        // The promoted generation is the one being built (its number is 1 in a fresh store):
        // the ROM is self-contained, the same derivation as before the promotion.
        try fixture.store.recordPromotion(Promotion(board: "fixture", generation: base.generation, romHash: promotedROM))
        let itself = try fixture.plan()
        #expect(itself.componentHashes["rom"] == base.componentHashes["rom"] && itself.fallbackSource == nil)

        // A promoted ROM the store lost: a clear error, not a silent self-contained ROM.
        try fixture.store.recordPromotion(Promotion(board: "fixture", generation: 9, romHash: String(repeating: "ef", count: 32)))
        #expect(throws: BuildError.promotedNotInStore(board: "fixture", generation: 9, romHash: String(repeating: "ef", count: 32))) { _ = try fixture.plan() }
    }

    /// A set built again with another ROM (another fallback half) records that ROM as the
    /// generation's and keeps the earlier one live for gc (devices may carry it).
    @Test func aRebuiltSetRecordsItsNewROMAndKeepsTheOldOneLive() throws {
        let fixture = try fixture(fallbackGeneration: nil)
        defer { fixture.remove() }
        let store = fixture.store
        let first = try store.recordGeneration(board: "fixture", setHash: "s", components: ["rom": "r1", "kernel": "k"], derivations: ["r1", "k"])
        let again = try store.recordGeneration(board: "fixture", setHash: "s", components: ["rom": "r2", "kernel": "k"], derivations: ["r2", "k"])
        #expect(first == again)
        let recorded = try #require(try store.generations(board: "fixture").first)
        #expect(recorded.components["rom"] == "r2")
        #expect(Set(recorded.derivations) == ["r1", "r2", "k"])
    }
}
