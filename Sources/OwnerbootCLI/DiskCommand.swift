import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot disk`: a device's encrypted disk from the board's OS image.
struct DiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Make a device's LUKS2-encrypted disk from the board's OS image (the passphrase never enters the store).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Option(help: "A file holding the passphrase (one line).") var passphraseFile: String
    @Option(name: .shortAndLong, help: "The disk image to write.") var output: String
    @Option(help: "The OS image (default: result/<board>/os/os.img for a verity OS, else os.ext4, from the last build).") var osImage: String?
    @Option(help: "LUKS UUID (default: the one the board's unlocker looks for).") var luksUUID: String?
    @Option(help: "A key file to enrol as a second key slot.") var keyFile: String?

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        // A board with a verity OS gets the GPT layout: root slots A and B and the state.
        let verity = board.os != nil && board.slotBUUID != nil && board.stateUUID != nil
        let image = osImage ?? "result/\(board.name)/os/" + (verity ? "os.img" : "os.ext4")
        var request = DiskProvisioner.Request(
            osImage: URL(fileURLWithPath: image), passphraseFile: URL(fileURLWithPath: passphraseFile),
            output: URL(fileURLWithPath: output), luksUUID: luksUUID ?? board.rootUUID, keyFile: keyFile.map { URL(fileURLWithPath: $0) })
        if verity, let slotB = board.slotBUUID, let state = board.stateUUID {
            request.verityLayout = DiskProvisioner.VerityLayout(slotBUUID: slotB, stateUUID: state)
        }
        let progress = ProgressRenderer.standard(json: false)
        defer { progress.finish() }
        try DiskProvisioner().provision(request, progress: progress.sink)
        progress.finish()
        print(verity ? "wrote \(output): GPT disk of \(board.name): root slots A and B (LUKS2, OS image + verity hash tree), state (LUKS2, ext4)"
              : "wrote \(output): LUKS2-encrypted \(board.name) OS disk")
    }
}
