import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot export`: one self-contained bundle of a generation, for an air-gapped rebuild.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a generation's board snapshot, lock, sources and .debs into one bundle with a manifest of every hash.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Option(help: "The generation (default: the newest).") var generation: Int?
    @Option(name: .shortAndLong, help: "The bundle file to write (must not exist).") var output: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        // The owner's signer and the SBOM/provenance files plug in here once they exist.
        let exporter = BundleExporter(store: try Store(), signer: nil, extraFiles: [:])
        let summary = try exporter.export(board: board.name, generation: generation, to: URL(fileURLWithPath: output), progress: ProgressLines.sink(quiet: json))
        if json { return try JSONOutput.print(summary) }
        print(String(format: "%@ generation %d (set %@) → %@: %@, %d files in %d store entries, %@, %.1f s", board.name, summary.generation,
                     String(summary.setHash.prefix(16)), summary.path, ByteCount.mebibytes(summary.bytes), summary.files, summary.entries,
                     summary.signed ? "signed" : "unsigned", summary.seconds))
        print("rebuild elsewhere: ownerboot import \(summary.path) && ownerboot build board=\(board.name) --generation \(summary.generation) --expect \(summary.setHash)")
    }
}
