import Foundation
import Testing
@testable import Orchestrator

@Suite struct BoardTestsFileTests {
    @Test func emulatedBoardDeclaresItsScenarios() throws {
        let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("qemu-x86/tests.toml"))
        #expect(tests.scenarios.map(\.name) == ["boot", "retry", "no-disk", "tampered-root", "state", "flash-then-boot", "update"])
        #expect(tests.scenarios.first { $0.name == "tampered-root" }?.disk == .tamperedRoot)
        // Only the state scenario lets the guest reboot (QEMU without -no-reboot).
        #expect(tests.scenarios.filter(\.reboots).map(\.name) == ["state"])
        #expect(tests.scenarios.first { $0.name == "boot" }?.steps.contains { if case .sendUntil = $0 { return true } else { return false } } == true)
        #expect(tests.qemu.machineType == "pc")
        #expect(tests.scenarios.first { $0.name == "no-disk" }?.disk == TestScenario.DiskSource.none)
        #expect(tests.scenarios.first { $0.name == "update" }?.rom == .update)
    }
}
