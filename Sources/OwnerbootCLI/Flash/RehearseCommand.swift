import ArgumentParser
import Flash
import Foundation
import Orchestrator

/// `ownerboot rehearse`: the flash on an emulated chip holding a copy of the owner's backup.
struct RehearseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rehearse",
        abstract: "Flash a ROM onto an emulated chip loaded with a copy of your backup: the exact plan and result, no hardware touched.",
        discussion: "Without --backup, a board with an Intel descriptor is rehearsed on a synthetic backup in the stock X230 layout.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: RequiredBoardOption<BoardHelp.Default>
    var board: String { boardOption.board }
    @OptionGroup var chipOption: ChipOption<ChipHelp.Rehearse>
    var chip: String? { chipOption.chip }
    @Option(help: "The ROM to flash (default: the board's last build, result/<board>/rom/<board>.rom).") var image: String?
    @Option(help: "Your dump of the chip (or of the whole flash), e.g. from `ownerboot read`; only read.") var backup: String?
    @Option(help: "Flash a ROM whose manifest names another board (or none). Give 1 to force.") var forceBoard: Int = 0
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let rom = try FlashImage.load(URL(fileURLWithPath: image ?? "result/\(board.name)/rom/\(board.name).rom"))
        let backupBytes = try backup.map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        let progress = ProgressRenderer.standard(json: json)
        defer { progress.finish() }
        let result = try await FlashRehearsal(board: board, chipLabel: chip).run(rom: rom, backup: backupBytes, forceBoard: forceBoard != 0) {
            progress.handle(FlashProgressEvents.event($0))
        }
        progress.finish()
        if json { return try JSONOutput.print(result) }
        print("rehearsal: chip '\(result.chip)' emulated as \(result.emulation), loaded with \(backup ?? (board.descriptor != nil ? "a synthetic X230-layout backup" : "an erased chip"))")
        print(FlashSummary.text(result.record))
        if !result.keptRegions.isEmpty {
            print("kept      \(result.keptRegions.joined(separator: ", ")): \(result.keptRegionsUnchanged ? "byte-identical after the flash ✓" : "CHANGED ✗")")
        }
        if !result.keptRegionsUnchanged { throw ExitCode(1) }
    }
}
