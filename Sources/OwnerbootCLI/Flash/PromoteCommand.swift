import ArgumentParser
import Flash
import Foundation
import Orchestrator

/// `ownerboot promote`: builds generation N's self-contained ROM (N in both halves) and writes
/// it whole, so N becomes the board's write-protected fallback. A command of its own rather
/// than `flash --fallback`: it takes a generation, not an image, needs the protection lifted,
/// and records the promotion that later builds keep.
struct PromoteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "promote",
        abstract: "Make a generation the board's fallback: write its ROM whole (both halves) with the write protection lifted, then re-protect.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "The generation to promote (default: the latest).") var generation: Int?
    @OptionGroup var programmerOption: ProgrammerOption<ProgrammerHelp.BoardDefault>
    var programmer: String? { programmerOption.programmer }
    @OptionGroup var chipOption: ChipOption<ChipHelp.Promote>
    var chip: String? { chipOption.chip }
    @Option(help: "Where to keep the chip's old contents (default: $OWNERBOOT_HOME/backups).") var backupDir: String?
    @Option(help: "Record the result for this device in the fleet inventory.") var device: String?
    @Flag(help: "Probe, check and plan only; write nothing and record no promotion.") var dryRun = false
    @Flag(help: "Print the flash record as JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let store = try Store()
        let inventory = try device.map { name -> Inventory in
            let inventory = try Inventory.open(home: OwnerbootHome.url())
            _ = try inventory.device(named: name)  // fail before touching the chip
            return inventory
        }
        let progress = ProgressRenderer.standard(json: json)
        let programmerString = try FlashTargetAdapter.programmer(programmer, board: board)
        let built: SelfContainedROM.Built
        do {
            built = try SelfContainedROM.build(board: board, generation: generation, store: store, progress: progress.sink)
        } catch {
            progress.finish()
            throw error
        }
        let record: FlashRecord
        do {
            let promotion = FallbackPromotion(
                board: board, store: store, programmer: programmerString, chipLabel: chip,
                options: .init(backupDirectory: backupDir.map { URL(fileURLWithPath: $0) } ?? FlashTargetAdapter.defaultBackupDirectory(), dryRun: dryRun))
            record = try await promotion.run(rom: built.rom, generation: built.generation, romHash: built.derivationHash) {
                progress.handle(FlashProgressEvents.event($0))
            }
            progress.finish()
        } catch {
            progress.finish()
            if let inventory, let device, !dryRun {
                try? FleetRecorder.recordFailure(error, imagePath: built.rom.path, programmer: programmerString.description, chip: board.chip.name,
                                                 device: device, inventory: inventory, refused: error is PromotionError ? true : nil)
            }
            throw error
        }
        if let inventory, let device, !dryRun {
            try FleetRecorder.record(record, device: device, inventory: inventory)
        }
        if json { return try JSONOutput.print(record) }
        print(FlashSummary.text(record))
        if !dryRun { print("\(board.name): generation \(built.generation) promoted to the protected half (ROM \(built.derivationHash.prefix(16))); later builds keep it as their fallback") }
        if record.writeProtectConfirmed == false { throw ExitCode(3) }
    }
}
