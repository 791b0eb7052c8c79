import Foundation
import Testing
@testable import Orchestrator

/// `ownerboot vm`'s QEMU handling, in-process: what it says before booting, the console on
/// this terminal (`mon:stdio`) with the TPM's arguments, and no TPM for a board without one.
struct ThrowawayVMConsoleTests {
    @Test func theBannerSaysWhatBootsAndHowTheDiskUnlocks() throws {
        let emulated = try ThrowawayVMTests.vm("qemu-x86")
        #expect(emulated.banner(board: "qemu-x86", generation: 7, setHash: String(repeating: "ab", count: 32), keep: false)
            == "booting qemu-x86 generation 7 (set abababababababab), its ROM as firmware: serial console here, Ctrl-A X quits QEMU; ssh to 127.0.0.1:2299; the disk unlocks by its TPM2 token (fallback passphrase in /tmp/vm-test/passphrase)")
        let payload = try ThrowawayVMTests.vm("x230")
        #expect(payload.banner(board: "x230", generation: 3, setHash: "0123456789abcdef0123", keep: false)
            == "booting x230 generation 3 (set 0123456789abcdef), its firmware does not run in QEMU: the ROM's kernel and unlocker boot with its command line: serial console here, Ctrl-A X quits QEMU; ssh to 127.0.0.1:2299; type the disk's passphrase, kept in /tmp/vm-test/passphrase until QEMU ends")
        #expect(payload.banner(board: "x230", generation: 3, setHash: "0123", keep: true).hasSuffix("type the disk's passphrase, kept in /tmp/vm-test/passphrase"))
    }

    @Test func theConsoleIsThisTerminalWithItsMonitor() throws {
        let machine = try ThrowawayVMTests.vm("qemu-x86").machine(disk: URL(fileURLWithPath: "/d.img"))
        let command = ThrowawayVM.consoleCommand(machine, tpm: nil)
        #expect(command.executable.lastPathComponent == machine.binary)
        #expect(command.arguments.contains("mon:stdio") && !command.arguments.contains("stdio"))
        #expect(command.arguments.count == machine.arguments.count)
    }

    @Test func aBoardWithoutATPMGetsNone() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let vm = try ThrowawayVMTests.vm("hp-abm")
        #expect(try vm.startTPM(board: try DeviceDiskTests.board("hp-abm", verity: false, tpm: "none", in: dir)) == nil)
    }
}
