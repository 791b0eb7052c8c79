import Foundation
import Testing
@testable import Orchestrator

/// `ownerboot test`'s choice of releases and flashers, in-process: scenarios that need no
/// older generation get none built, and the session flashes and promotes emulated chips.
struct CurrentBuildSessionTests {
    @Test func scenariosWithoutAnUpdateNeedNoPreviousReleaseAndGetEmulatedChipFlashers() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try DeviceDiskTests.board("qemu-x86", verity: true, tpm: "2.0", in: dir)
        let vm = try ThrowawayVMTests.vm("qemu-x86")
        let summary = Builder.Summary(board: board.name, generation: 4, setHash: "s", built: [], cached: [], checked: [], seconds: 0, outputs: [:])
        let current = CurrentBuild(tests: vm.tests, builder: Builder(store: try Store(home: dir.appendingPathComponent("home"))), summary: summary, artifacts: vm.artifacts)
        var notes: [String] = []
        let session = try BoardTestSession.forCurrentBuild(current, board: board, scenarios: ["boot", "flash-then-boot"], workDirectory: dir, parallelism: 3) { notes.append($0) }
        #expect(notes.isEmpty)
        #expect(session.artifacts.previousROM == nil && session.artifacts.updateROM == nil)
        #expect(session.flash != nil && session.promote != nil)
        #expect(session.parallelism == 3)
        #expect(session.workDirectory == dir)
        #expect(!PreviousRelease.needed(scenarios: try vm.tests.scenarios(named: ["boot", "flash-then-boot"])))
        #expect(PreviousRelease.needed(scenarios: try vm.tests.scenarios(named: ["update"])))
    }

    @Test func anUnknownScenarioIsRefusedBeforeAnythingIsBuilt() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let board = try DeviceDiskTests.board("qemu-x86", verity: true, tpm: "2.0", in: dir)
        let vm = try ThrowawayVMTests.vm("qemu-x86")
        let summary = Builder.Summary(board: board.name, generation: 4, setHash: "s", built: [], cached: [], checked: [], seconds: 0, outputs: [:])
        let current = CurrentBuild(tests: vm.tests, builder: Builder(store: try Store(home: dir.appendingPathComponent("home"))), summary: summary, artifacts: vm.artifacts)
        #expect(throws: TestSessionError.self) {
            _ = try BoardTestSession.forCurrentBuild(current, board: board, scenarios: ["updat"], workDirectory: dir)
        }
    }
}
