import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot provenance board=x [--generation N] [-o FILE]`: the generation's SLSA provenance
/// (in-toto Statement v1) in a DSSE envelope signed with the owner's key.
struct ProvenanceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "provenance", abstract: "Write a generation's signed SLSA provenance (DSSE envelope).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "The generation (default: the latest).") var generation: Int?
    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.") var output: String?
    @Option(help: "The owner's secret key (default: $OWNERBOOT_HOME/keys/owner.key).") var key: String?
    @Flag(help: "Write the unsigned statement instead of the envelope.") var unsigned = false

    func run() throws {
        global.bootstrapLogging()
        guard let board else { throw ValidationError("no board given: add board=NAME") }
        let store = try Store()
        // Load the key first: a missing key fails before any output is scanned.
        let key = unsigned ? nil : try OwnerKey.load(from: key.map { URL(fileURLWithPath: $0) } ?? OwnerKey.defaultURL(home: store.home))
        let facts = try GenerationFacts.gather(board: board, generation: generation, store: store)
        let writer = ProvenanceWriter()
        try SupplyOutput.emit(try key.map { try writer.envelope(for: facts, key: $0) } ?? writer.statement(for: facts), to: output)
    }
}
