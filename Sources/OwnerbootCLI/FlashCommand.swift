import ArgumentParser
import Flash
import Foundation
import Orchestrator
import Support

/// `ownerboot flash`: parses, maps the board to an `ExpectedTarget`, runs `FlashOperation`,
/// prints the summary or the record.
struct FlashCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flash",
        abstract: "Write a ROM to a board's chip: write-protect aware, with backup and readback verification.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Option(help: "flashrom programmer string (default: the board's chip.programmer).") var programmer: String?
    @Option(help: "The ROM image to write.") var image: String
    @Option(help: "flashrom's chip name when no board is given (e.g. W25Q128.V).") var chip: String?
    @Flag(help: "Probe, check and plan only; write nothing.") var dryRun = false
    @Flag(help: "With --dry-run: read the chip for an exact plan.") var readChip = false
    @Flag(help: "When changed blocks are protected, write only the unprotected regions instead of refusing.") var writableRegionsOnly = false
    @Option(help: "Where to keep the chip's old contents (default: $OWNERBOOT_HOME/backups).") var backupDir: String?
    @Option(help: "Refuse nothing for the image's board: flash a ROM whose manifest names another board (or none). Give 1 to force.") var forceBoard: Int = 0
    @Option(help: "Record the result for this device in the fleet inventory.") var device: String?
    @Flag(help: "Print the flash record as JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try board.map { try BoardSelection.load($0, global: global) }
        let policy: FlashPlan.Policy = writableRegionsOnly ? .writableRegionsOnly : .refuse
        let imageBytes = FileManager.default.contents(atPath: image).map { Array($0) }
        var target = board.map { BoardFlashTarget.target(for: $0, onProtected: policy, image: imageBytes) }
            ?? ExpectedTarget(chipName: chip, writeProtect: WriteProtectPolicy(onProtected: policy))
        if let chip { target.chipName = chip }
        let inventory = try device.map { name -> Inventory in
            let inventory = try Inventory.open(home: OwnerbootHome.url())
            _ = try inventory.device(named: name)  // fail before touching the chip
            return inventory
        }
        let operation = FlashOperation(
            programmer: try FlashTargetAdapter.programmer(programmer, board: board), target: target,
            identity: board.map { ROMIdentityCheck(board: $0.name, force: forceBoard != 0) },
            options: .init(backupDirectory: backupDir.map { URL(fileURLWithPath: $0) } ?? FlashTargetAdapter.defaultBackupDirectory(),
                           dryRun: dryRun, dryRunReadsChip: readChip))
        let quiet = json
        let record: FlashRecord
        do {
            record = try await operation.run(imageURL: URL(fileURLWithPath: image)) { progress in
                if !quiet { FlashProgressPrinter.report(progress) }
            }
        } catch {
            if let inventory, let device, !dryRun {
                try? FleetRecorder.recordFailure(error, imagePath: image, programmer: operation.programmer.description, chip: target.chipName ?? "?", device: device, inventory: inventory)
            }
            throw error
        }
        if let inventory, let device, !dryRun {
            try FleetRecorder.record(record, device: device, inventory: inventory)
        }
        if json { return try JSONOutput.print(record) }
        print(FlashSummary.text(record))
        if record.writeProtectConfirmed == false { throw ExitCode(3) }
    }
}
