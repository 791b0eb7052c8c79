import ArgumentParser
import Flash
import Foundation

/// `ownerboot verify`: does the chip hold this image? Exit status 1 when it does not.
struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Compare a chip with a ROM image.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.ChipChecked>
    var board: String? { boardOption.board }
    @OptionGroup var programmerOption: ProgrammerOption<ProgrammerHelp.Default>
    var programmer: String? { programmerOption.programmer }
    @OptionGroup var chipOption: ChipOption<ChipHelp.Probe>
    var chip: String? { chipOption.chip }
    @Option(help: "The ROM image.") var image: String
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try boardOption.loadIfGiven(global: global)
        let result = try await ChipReadout.verify(
            programmer: try FlashTargetAdapter.programmer(programmer, board: board), chipNames: try FlashTargetAdapter.chipNames(chip, board: board),
            image: URL(fileURLWithPath: image))
        if json {
            try JSONOutput.print(result)
        } else if result.matches {
            print("✓ \(result.chip.name) holds \(result.imagePath) (sha256 \(result.chipHash))")
        } else {
            print("✗ \(result.chip.name) differs from \(result.imagePath): \(result.bytesDiffering ?? 0) bytes, first at 0x\(String(result.firstDifference ?? 0, radix: 16))")
            print("  image sha256 \(result.imageHash)\n  chip  sha256 \(result.chipHash)")
        }
        if !result.matches { throw ExitCode.failure }
    }
}
