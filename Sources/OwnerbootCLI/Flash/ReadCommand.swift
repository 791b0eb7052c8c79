import ArgumentParser
import Flash
import Foundation

/// `ownerboot read`: the whole chip into a file (never half a file).
struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read a whole chip into a file.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.ChipChecked>
    var board: String? { boardOption.board }
    @OptionGroup var programmerOption: ProgrammerOption<ProgrammerHelp.Default>
    var programmer: String? { programmerOption.programmer }
    @OptionGroup var chipOption: ChipOption<ChipHelp.Probe>
    var chip: String? { chipOption.chip }
    @Option(name: .shortAndLong, help: "The file to write.") var output: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try boardOption.loadIfGiven(global: global)
        let result = try await ChipReadout.read(
            programmer: try FlashTargetAdapter.programmer(programmer, board: board), chipNames: try FlashTargetAdapter.chipNames(chip, board: board),
            to: URL(fileURLWithPath: output))
        if json { return try JSONOutput.print(result) }
        print("\(result.path)  \(result.chip.name)  sha256 \(result.sha256)  \(String(format: "%.2f s", result.seconds))")
    }
}
