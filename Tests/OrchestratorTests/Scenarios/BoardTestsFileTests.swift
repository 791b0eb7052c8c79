import Foundation
import Testing
@testable import Orchestrator

@Suite struct BoardTestsFileTests {
    @Test func emulatedBoardDeclaresItsScenarios() throws {
        let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("qemu-x86/tests.toml"))
        #expect(tests.scenarios.map(\.name) == ["boot", "retry", "no-disk", "tampered-root", "foreign-state", "state-binding", "state", "flash-then-boot", "update", "normal-erased",
                                                "normal-payload-corrupted", "planted", "pcrs-match", "tpm-unattended", "tpm-tampered", "tpm-late-failure", "tpm-normal", "reseal-update",
                                                "tang-unattended", "tang-stalling", "tang-down", "sss-unattended", "sss-tang-down", "promote", "totp", "totp-tampered"])
        // The attacks of issue 25 on their own disks and networks.
        #expect(tests.scenarios.first { $0.name == "foreign-state" }?.disk == .foreignState && tests.scenarios.first { $0.name == "state-binding" }?.disk == .unboundState)
        #expect(tests.scenarios.first { $0.name == "tpm-late-failure" }?.disk == .tpm2TamperedRoot && tests.scenarios.first { $0.name == "tang-stalling" }?.tang == .stalling)
        #expect(tests.scenarios.first { $0.name == "tampered-root" }?.disk == .tamperedRoot)
        // The normal/fallback scenarios (and those measuring the normal path) and the state
        // scenario reboot the machine (CMOS and the disk's snapshot survive); the others must not.
        #expect(tests.scenarios.filter(\.reboots).map(\.name) == ["state", "update", "normal-erased", "normal-payload-corrupted", "pcrs-match", "tpm-normal"])
        #expect(tests.scenarios.first { $0.name == "boot" }?.steps.contains { if case .sendUntil = $0 { return true } else { return false } } == true)
        #expect(tests.scenarios.first { $0.name == "planted" }?.rom == .planted)
        #expect(tests.scenarios.first { $0.name == "promote" }?.rom == .promote)
        #expect(tests.scenarios.first { $0.name == "tang-down" }?.tang == .down && tests.scenarios.first { $0.name == "tang-unattended" }?.disk == .tang)
        #expect(tests.scenarios.filter { $0.disk == .sss }.map(\.tang) == [.up, .down])
        #expect(tests.scenarios.first { $0.name == "reseal-update" }?.disk == .tpm2Resealed)
        #expect(tests.qemu.machineType == "pc")
        // The kernel's AES-NI/SHA-256/crc32c code needs the emulated CPU to offer them.
        #expect(tests.qemu.cpu == "max")
        #expect(tests.scenarios.first { $0.name == "no-disk" }?.disk == TestScenario.DiskSource.none)
        #expect(tests.scenarios.first { $0.name == "update" }?.rom == .update)
        // Every machine has a TPM: a fresh one, or a named device's for the TPM2 disks.
        #expect(tests.qemu.tpm == .fresh)
        #expect(tests.scenarios.first { $0.name == "boot" }?.tpm == .fresh)
        #expect(tests.scenarios.first { $0.name == "tpm-unattended" }?.tpm == .device("device-unattended"))
        #expect(tests.scenarios.first { $0.name == "tpm-tampered" }?.rom == .tampered)
        #expect(tests.scenarios.first { $0.name == "tpm-tampered" }?.disk == .tpm2)
        #expect(tests.scenarios.first { $0.name == "tpm-unattended" }?.steps.contains(.absent(pattern: "ownerboot: enter passphrase")) == true)
    }

    @Test func tpmChoicesAndAbsentStepsParseAndBadOnesNameTheKey() throws {
        let good = """
        [qemu]
        tpm = "fresh"
        [[scenario]]
        name = "a"
        tpm = "none"
        steps = [{ absent = "x" }]
        [[scenario]]
        name = "b"
        tpm = "device-1"
        steps = [{ expect = "y" }]
        [[scenario]]
        name = "c"
        steps = [{ expect = "z" }]
        """
        let tests = try TestScenarioLoader().parse(good, file: "tests.toml")
        #expect(tests.scenarios.map(\.tpm) == [.none, .device("device-1"), .fresh])
        #expect(tests.scenarios[0].steps == [.absent(pattern: "x")])
        let bad = "[[scenario]]\nname = \"a\"\ntpm = \"../../etc\"\nsteps = [{ expect = \"y\" }]\n"
        do {
            _ = try TestScenarioLoader().parse(bad, file: "tests.toml")
            Issue.record("a TPM device name with a path was accepted")
        } catch let error as BoardError {
            #expect("\(error)".contains("tpm") && "\(error)".contains("tests.toml:2"), "\(error)")
        }
        // The TPM family: 2.0 unless the board says 1.2; anything else names the choices.
        #expect(tests.qemu.tpmFamily == .tpm20)
        #expect(try TestScenarioLoader().parse("[qemu]\ntpm_version = \"1.2\"\n", file: "tests.toml").qemu.tpmFamily == .tpm12)
        #expect(throws: BoardError.invalidValue(file: "tests.toml", line: 2, key: "qemu.tpm_version", value: "\"1.3\"", expected: "\"1.2\" or \"2.0\"")) {
            try TestScenarioLoader().parse("[qemu]\ntpm_version = \"1.3\"\n", file: "tests.toml")
        }
    }

    @Test func fullOSStepsRunOnlyWhenAskedAndOnlyAtTheEnd() throws {
        let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("qemu-x86/tests.toml"))
        // The scenarios that prove the OS itself always boot it to systemd; the firmware and
        // unlock scenarios stop at the hand-over unless --full-os.
        let always = tests.scenarios.filter { $0.fullOSFrom == nil }.map(\.name)
        #expect(always == ["boot", "no-disk", "tampered-root", "foreign-state", "state-binding", "state", "pcrs-match", "tpm-unattended", "tpm-late-failure", "tang-unattended", "tang-stalling", "totp-tampered"])
        let retry = try #require(tests.scenarios.first { $0.name == "retry" })
        #expect(retry.steps(fullOS: true) == retry.steps)
        #expect(retry.steps(fullOS: false).last == .expect(pattern: "ownerboot: verity root {os_root_hash} verified on /dev/vda1 .*; starting the OS", timeout: 120))
        #expect(retry.steps(fullOS: false).count < retry.steps.count)

        let good = "[[scenario]]\nname = \"a\"\nsteps = [{ expect = \"x\" }, { expect = \"y\", full_os = true }, { exit = 0, full_os = true }]\n"
        let parsed = try TestScenarioLoader().parse(good, file: "tests.toml")
        #expect(parsed.scenarios[0].fullOSFrom == 1)
        #expect(parsed.scenarios[0].steps(fullOS: false) == [.expect(pattern: "x", timeout: nil)])
        let bad = "[[scenario]]\nname = \"a\"\nsteps = [{ expect = \"x\", full_os = true }, { expect = \"y\" }]\n"
        do {
            _ = try TestScenarioLoader().parse(bad, file: "tests.toml")
            Issue.record("a step without full_os after a full_os step was accepted")
        } catch let error as BoardError {
            #expect("\(error)".contains("full_os"), "\(error)")
        }
    }
}
