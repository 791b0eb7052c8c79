import Foundation
import Support

/// Booting the throwaway machine by hand: its TPM, what it says before it starts, and QEMU
/// with this terminal as the serial console.
extension ThrowawayVM {
    /// The machine's TPM, holding the sealing key, started right before QEMU; none for a board
    /// without a TPM (board.toml `tpm = "none"`, the hp-abm).
    public func startTPM(board: Board) throws -> SoftwareTPM? {
        board.tpm == "none" ? nil : try startTPM()
    }

    /// The line said before QEMU starts: what boots, how to leave, how to reach it, how the
    /// disk unlocks. `keep`: the work directory stays afterwards.
    public func banner(board: String, generation: Int, setHash: String, keep: Bool) -> String {
        let how = bootsPayload ? "its firmware does not run in QEMU: the ROM's kernel and unlocker boot with its command line" : "its ROM as firmware"
        let unlock = unlocksByTPM ? "the disk unlocks by its TPM2 token (fallback passphrase in \(passphraseFile.path))" : "type the disk's passphrase, kept in \(passphraseFile.path)\(keep ? "" : " until QEMU ends")"
        return "booting \(board) generation \(generation) (set \(setHash.prefix(16))), \(how): serial console here, Ctrl-A X quits QEMU; ssh to 127.0.0.1:\(sshPort); \(unlock)"
    }

    /// QEMU's program and arguments for `machine` with `tpm`, its serial console and monitor on
    /// this terminal (`mon:stdio`: Ctrl-C goes to the machine, Ctrl-A X ends QEMU).
    public static func consoleCommand(_ machine: QEMUMachine, tpm: SoftwareTPM?) -> (executable: URL, arguments: [String]) {
        (URL(fileURLWithPath: ProcessRunner.which(machine.binary) ?? "/usr/bin/\(machine.binary)"),
         machine.arguments.map { $0 == "stdio" ? "mon:stdio" : $0 } + (tpm?.qemuArguments ?? []))
    }

    /// Runs `machine` with `tpm` on this terminal until QEMU ends; returns QEMU's exit status.
    public static func boot(_ machine: QEMUMachine, tpm: SoftwareTPM?) throws -> Int32 {
        let command = consoleCommand(machine, tpm: tpm)
        let process = Process()
        process.executableURL = command.executable
        process.arguments = command.arguments
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
