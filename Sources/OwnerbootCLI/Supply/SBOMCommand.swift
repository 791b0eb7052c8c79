import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot sbom board=x [--generation N] [-o FILE]`: the generation's SPDX 2.3 JSON SBOM.
struct SBOMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sbom", abstract: "Write a generation's SPDX 2.3 SBOM (JSON).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "The generation (default: the latest).") var generation: Int?
    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.") var output: String?

    func run() throws {
        global.bootstrapLogging()
        guard let board else { throw ValidationError("no board given: add board=NAME") }
        let facts = try GenerationFacts.gather(board: board, generation: generation, store: try Store())
        try SupplyOutput.emit(try SBOMWriter().write(facts), to: output)
    }
}
