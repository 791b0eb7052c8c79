import Boot
import Foundation
import Testing
@testable import Orchestrator

/// The previous release `ownerboot test` builds for the update scenario on a fresh home.
@Suite(.serialized) struct PreviousReleaseTests {
    /// The fixture board with a ROM component (the manifest written as the "ROM").
    func fixtureWithROM() throws -> FixtureBoard {
        let fixture = try FixtureBoard()
        try fixture.write("board.toml", FixtureBoard.boardToml + "\n\n[components.rom]\nbuilder = \"rom.sh\"\ninputs = [\"bundle\"]\n")
        try fixture.write("rom.sh", "printf '%s' \"$OWNERBOOT_MANIFEST\" > /out/fixture.rom\n")
        return fixture
    }

    @Test func theMarkerGoesToALeafOutsideTheROMAndOnlyThatAndTheROMChange() throws {
        let fixture = try fixtureWithROM()
        defer { fixture.remove() }
        let board = try fixture.board
        #expect(PreviousRelease.component(of: board)?.name == "independent")
        let work = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let derived = try PreviousRelease.derive(from: board, into: work)
        let current = try fixture.plan().componentHashes
        let previous = try BuildPlan.make(board: derived, lock: try fixture.lock, store: fixture.store).componentHashes
        #expect(previous["independent"] != current["independent"])
        #expect(previous["rom"] != current["rom"])
        #expect(previous["hello"] == current["hello"] && previous["bundle"] == current["bundle"])
        // The user's board is untouched, and deriving again gives the same set.
        #expect(try String(contentsOf: fixture.directory.appendingPathComponent("independent.sh"), encoding: .utf8) == "cp /inputs/note.txt /out/note.txt\n")
        let again = try PreviousRelease.derive(from: board, into: work.appendingPathComponent("again"))
        #expect(try BuildPlan.make(board: again, lock: try fixture.lock, store: fixture.store).componentHashes == previous)
    }

    @Test func itIsBuiltNumberedBelowTheCurrentGenerationAndNeverRecorded() throws {
        let fixture = try fixtureWithROM()
        defer { fixture.remove() }
        let summary = try fixture.builder().build(try fixture.plan())
        #expect(summary.generation == 1)
        let work = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rom = try PreviousRelease.build(board: try fixture.board, currentGeneration: summary.generation, using: fixture.builder(), workDirectory: work)
        let manifest = try JSONDecoder().decode(OwnerbootManifest.self, from: Data(contentsOf: rom))
        #expect(manifest.generation == 0)
        #expect(manifest.setHash != summary.setHash)
        #expect(manifest.board == "fixture")
        // Only the current generation is recorded; the derived board folder is gone.
        #expect(try fixture.store.generations(board: "fixture").map(\.number) == [1])
        #expect(!FileManager.default.fileExists(atPath: work.appendingPathComponent("previous-release").path))
        // The next real build still gets number 2.
        try fixture.write("note.txt", "a real change\n")
        #expect(try fixture.builder().build(try fixture.plan()).generation == 2)
    }

    @Test func itIsNeededByAnUpdateAPromotionOrAResealedDiskOnly() {
        let update = TestScenario(name: "update", description: "", rom: .update, disk: .none, timeout: 1, steps: [])
        let promote = TestScenario(name: "promote", description: "", rom: .promote, disk: .none, timeout: 1, steps: [])
        let resealed = TestScenario(name: "reseal-update", description: "", rom: .built, disk: .tpm2Resealed, timeout: 1, steps: [])
        let boot = TestScenario(name: "boot", description: "", rom: .built, disk: .none, timeout: 1, steps: [])
        #expect(PreviousRelease.needed(scenarios: [boot, update]))
        #expect(PreviousRelease.needed(scenarios: [promote]))
        #expect(PreviousRelease.needed(scenarios: [boot, resealed]))
        #expect(!PreviousRelease.needed(scenarios: [boot]))
        #expect(!PreviousRelease.needed(scenarios: []))
    }
}
