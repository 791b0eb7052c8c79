import ArgumentParser
import Foundation
import Orchestrator
import Support

/// `ownerboot vm`: boot the board's latest build in QEMU by hand, with a throwaway disk.
struct VMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm",
        abstract: "Boot the board's latest build (ROM + OS; boards whose firmware QEMU cannot run: its kernel and unlocker) in QEMU with a throwaway disk that unlocks by the machine's own TPM 2.0, or asks for its passphrase; the serial console is this terminal.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Option(help: "Host port (127.0.0.1 only) forwarded to the machine's SSH port.") var sshPort = 2222
    @Option(help: "Where the disk and TPM state go (default: a new folder under /tmp, removed afterwards).") var workDir: String?

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        let current = try CurrentBuild.make(board: board, json: false)
        let (tests, progress, summary, artifacts) = (current.tests, current.progress, current.summary, current.artifacts)
        defer { progress.finish() }
        let keep = workDir != nil
        let work = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-vm-\(board.name)-\(UUID().uuidString.prefix(8))").path)
        defer { if !keep { try? FileManager.default.removeItem(at: work) } }
        let vm = ThrowawayVM(tests: tests, artifacts: artifacts, workDirectory: work, sshPort: sshPort)
        let machine = try vm.prepare(progress: progress.sink)
        progress.finish()
        // A board without a TPM (hp-abm) gets none here either.
        let tpm = board.tpm == "none" ? nil : try vm.startTPM()
        defer { tpm?.close() }
        let how = vm.bootsPayload ? "its firmware does not run in QEMU: the ROM's kernel and unlocker boot with its command line" : "its ROM as firmware"
        let unlock = vm.unlocksByTPM ? "the disk unlocks by its TPM2 token (fallback passphrase in \(vm.passphraseFile.path))" : "type the disk's passphrase, kept in \(vm.passphraseFile.path)\(keep ? "" : " until QEMU ends")"
        print("booting \(board.name) generation \(summary.generation) (set \(summary.setHash.prefix(16))), \(how): serial console here, Ctrl-A X quits QEMU; ssh to 127.0.0.1:\(sshPort); \(unlock)")
        fflush(nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessRunner.which(machine.binary) ?? "/usr/bin/\(machine.binary)")
        // The console is this terminal: Ctrl-C goes to the machine, Ctrl-A X ends QEMU.
        process.arguments = machine.arguments.map { $0 == "stdio" ? "mon:stdio" : $0 } + (tpm?.qemuArguments ?? [])
        try process.run()
        process.waitUntilExit()
        if process.terminationStatus != 0 { throw ExitCode(process.terminationStatus) }
    }
}
