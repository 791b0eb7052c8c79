import Foundation
import Testing
@testable import Orchestrator

/// A scenario machine ends at the guest's first reset unless the scenario reboots on purpose
/// (normal/fallback: CMOS must survive the reset, so QEMU must keep running).
@Suite struct QEMUMachineRebootTests {
    @Test func aResetEndsQEMUUnlessTheScenarioReboots() throws {
        var machine = QEMUMachine(bios: "/rom")
        #expect(machine.arguments.contains("-no-reboot"))
        machine.allowsReboot = true
        #expect(!machine.arguments.contains("-no-reboot"))
        #expect(machine.arguments.contains("-nodefaults") && machine.arguments.contains("-bios"))

        let runner = ScenarioRunner(settings: QEMUSettings(), variables: [:], transcriptDirectory: URL(fileURLWithPath: "/tmp"))
        #expect(runner.machine(rom: URL(fileURLWithPath: "/rom"), disk: nil).arguments.contains("-no-reboot"))
    }

    /// `[qemu] cpu` reaches QEMU as `-cpu`; without it QEMU picks its default model.
    @Test func theCPUModelFromTestsTomlIsPassedAsDashCPU() throws {
        let tests = try TestScenarioLoader().parse("[qemu]\ncpu = \"max\"\n[[scenario]]\nname = \"a\"\nsteps = [{ expect = \"x\" }]\n", file: "tests.toml")
        #expect(tests.qemu.cpu == "max")
        let args = ScenarioRunner(settings: tests.qemu, variables: [:], transcriptDirectory: URL(fileURLWithPath: "/tmp")).machine(rom: URL(fileURLWithPath: "/rom"), disk: nil).arguments
        #expect(args.firstIndex(of: "-cpu").map { args[$0 + 1] } == "max")
        #expect(!QEMUMachine(bios: "/rom").arguments.contains("-cpu"))
    }

    @Test func rebootsIsReadFromTestsToml() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-reboots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("tests.toml")
        try """
        [[scenario]]
        name = "a"
        rom = "normal-erased"
        reboots = true
        steps = [{ expect = "x" }]

        [[scenario]]
        name = "b"
        steps = [{ expect = "y" }]
        """.write(to: file, atomically: true, encoding: .utf8)
        let tests = try TestScenarioLoader().load(file)
        #expect(tests.scenarios.map(\.reboots) == [true, false])
        #expect(tests.scenarios.first?.rom == .normalErased)
    }
}
