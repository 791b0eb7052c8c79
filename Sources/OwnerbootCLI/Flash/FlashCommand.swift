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
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @OptionGroup var programmerOption: ProgrammerOption<ProgrammerHelp.BoardDefault>
    var programmer: String? { programmerOption.programmer }
    @Option(help: "The ROM image to write.") var image: String
    @OptionGroup var chipOption: ChipOption<ChipHelp.Flash>
    var chip: String? { chipOption.chip }
    @Option(help: "flashrom's name for the chip, instead of the board's list of parts (a replaced chip).") var chipName: String?
    @Flag(help: "On a chip with an Intel flash descriptor: write the image's descriptor even though it differs from the chip's.") var writeDescriptor = false
    @Flag(help: "Probe, check and plan only; write nothing.") var dryRun = false
    @Flag(help: "With --dry-run: read the chip for an exact plan.") var readChip = false
    @Flag(help: "When changed blocks are protected, write only the unprotected regions instead of refusing.") var writableRegionsOnly = false
    @Option(help: "Where to keep the chip's old contents (default: $OWNERBOOT_HOME/backups).") var backupDir: String?
    @Option(help: "Refuse nothing for the image's board: flash a ROM whose manifest names another board (or none). Give 1 to force.") var forceBoard: Int = 0
    @Option(help: "Record the result for this device in the fleet inventory.") var device: String?
    @Flag(help: "Print the flash record as JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try boardOption.loadIfGiven(global: global)
        let policy: FlashPlan.Policy = writableRegionsOnly ? .writableRegionsOnly : .refuse
        // With a board, --chip is one of its chip labels when it has several; otherwise it
        // overrides flashrom's chip name as before.
        let chipIsLabel = board.map { b in b.chips.count > 1 || b.chips.contains { $0.label == chip } } ?? false
        let programmerText = programmer ?? board.flatMap { b in (try? BoardFlashTarget.chip(of: b, label: chipIsLabel ? chip : nil, programmer: programmer))?.programmer ?? b.chip.programmer }
        let inventory = try device.map { name -> Inventory in
            let inventory = try Inventory.open(home: OwnerbootHome.url())
            _ = try inventory.device(named: name)  // fail before touching the chip
            return inventory
        }
        let programmerString = try FlashTargetAdapter.programmer(programmerText, board: nil)
        let quiet = json
        let progress = ProgressRenderer.standard(json: json)
        let record: FlashRecord
        var recordedChip = chip ?? board?.chip.name ?? "?"
        do {
            let rom = try FlashImage.load(URL(fileURLWithPath: image))
            var target: ExpectedTarget
            var flashed = rom
            if let board {
                let prepared = try BoardFlashTarget.prepare(
                    board: board, label: chipIsLabel ? chip : nil, programmer: programmerString.description, rom: rom,
                    onProtected: policy, writeDescriptor: writeDescriptor, forceBoard: forceBoard != 0)
                target = prepared.target
                flashed = prepared.image
                if let name = chipName ?? (chipIsLabel ? nil : chip) { target.chipName = name; target.alternativeChipNames = [] }
                recordedChip = target.chipNames.first ?? prepared.chip.label
                if !quiet, board.chips.count > 1 {
                    FileHandle.standardError.write(Data("flashing chip '\(prepared.chip.label)' of \(board.name): ROM bytes \(ByteRange(start: prepared.chip.offset, length: prepared.chip.sizeBytes))\n".utf8))
                }
            } else {
                target = ExpectedTarget(chipName: chipName ?? chip, writeProtect: WriteProtectPolicy(onProtected: policy))
            }
            let operation = FlashOperation(
                programmer: programmerString, target: target, identity: nil,
                options: .init(backupDirectory: backupDir.map { URL(fileURLWithPath: $0) } ?? FlashTargetAdapter.defaultBackupDirectory(),
                               dryRun: dryRun, dryRunReadsChip: readChip))
            record = try await operation.run(image: flashed) {
                progress.handle(FlashProgressEvents.event($0))
            }
            progress.finish()
        } catch {
            progress.finish()
            if let inventory, let device, !dryRun {
                try? FleetRecorder.recordFailure(error, imagePath: image, programmer: programmerString.description, chip: recordedChip, device: device, inventory: inventory)
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
