import ArgumentParser
import Flash
import Foundation

/// `ownerboot read`: the whole chip into a file (never half a file).
struct ReadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "read", abstract: "Read a whole chip into a file.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME): its chip name is checked.") var board: String?
    @Option(help: "flashrom programmer string.") var programmer: String?
    @Option(help: "flashrom's chip name to probe for; with a board of several chips, which one (e.g. bottom, top).") var chip: String?
    @Option(name: .shortAndLong, help: "The file to write.") var output: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try board.map { try BoardSelection.load($0, global: global) }
        let result = try await ChipReadout.read(
            programmer: try FlashTargetAdapter.programmer(programmer, board: board), chipNames: try FlashTargetAdapter.chipNames(chip, board: board),
            to: URL(fileURLWithPath: output))
        if json { return try JSONOutput.print(result) }
        print("\(result.path)  \(result.chip.name)  sha256 \(result.sha256)  \(String(format: "%.2f s", result.seconds))")
    }
}
