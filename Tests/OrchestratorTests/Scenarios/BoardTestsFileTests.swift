import Foundation
import Testing
@testable import Orchestrator

@Suite struct BoardTestsFileTests {
    @Test func emulatedBoardDeclaresItsFiveScenarios() throws {
        let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("qemu-x86/tests.toml"))
        #expect(tests.scenarios.map(\.name) == ["boot", "retry", "no-disk", "flash-then-boot", "update"])
        #expect(tests.qemu.machineType == "pc")
        #expect(tests.scenarios.first { $0.name == "no-disk" }?.disk == TestScenario.DiskSource.none)
        #expect(tests.scenarios.first { $0.name == "update" }?.rom == .update)
    }
}
