import Foundation
import Testing
@testable import Orchestrator

@Suite struct BoardTestsFileTests {
    @Test func emulatedBoardDeclaresItsScenarios() throws {
        let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("qemu-x86/tests.toml"))
        #expect(tests.scenarios.map(\.name) == ["boot", "retry", "no-disk", "flash-then-boot", "update", "normal-erased", "normal-payload-corrupted", "planted", "promote"])
        // The normal/fallback scenarios reboot the machine (CMOS survives); the others must not.
        #expect(tests.scenarios.filter(\.reboots).map(\.name) == ["update", "normal-erased", "normal-payload-corrupted"])
        #expect(tests.scenarios.first { $0.name == "planted" }?.rom == .planted)
        #expect(tests.scenarios.first { $0.name == "promote" }?.rom == .promote)
        #expect(tests.qemu.machineType == "pc")
        #expect(tests.scenarios.first { $0.name == "no-disk" }?.disk == TestScenario.DiskSource.none)
        #expect(tests.scenarios.first { $0.name == "update" }?.rom == .update)
    }
}
