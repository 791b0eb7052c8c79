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
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "Host port (127.0.0.1 only) forwarded to the machine's SSH port.") var sshPort = 2222
    @Option(help: "Where the disk and TPM state go (default: a new folder under /tmp, removed afterwards).") var workDir: String?

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let progress = ProgressRenderer.standard(json: false)
        defer { progress.finish() }
        let current = try CurrentBuild.make(board: board, progress: progress.sink)
        let keep = workDir != nil
        let work = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-vm-\(board.name)-\(UUID().uuidString.prefix(8))").path)
        defer { if !keep { try? FileManager.default.removeItem(at: work) } }
        let vm = ThrowawayVM(tests: current.tests, artifacts: current.artifacts, workDirectory: work, sshPort: sshPort)
        let machine = try vm.prepare(progress: progress.sink)
        progress.finish()
        let tpm = try vm.startTPM(board: board)
        defer { tpm?.close() }
        print(vm.banner(board: board.name, generation: current.summary.generation, setHash: current.summary.setHash, keep: keep))
        fflush(nil)
        let status = try ThrowawayVM.boot(machine, tpm: tpm)
        if status != 0 { throw ExitCode(status) }
    }
}
