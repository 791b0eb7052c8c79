import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot export`: one self-contained bundle of a generation, for an air-gapped rebuild.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Write a generation's board snapshot, lock, sources and .debs into one bundle with a manifest of every hash.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "The generation (default: the newest).") var generation: Int?
    @Option(name: .shortAndLong, help: "The bundle file to write (must not exist).") var output: String
    @Flag(help: "Write the bundle without the owner's signature (an importer must then pass --allow-unsigned).") var unsigned = false
    @Option(help: "The owner's key (default: $OWNERBOOT_HOME/keys/owner.key).") var key: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let store = try Store()
        // The manifest is signed with the owner's key; the generation's SBOM and its signed
        // provenance travel in the bundle and in its manifest.
        let ownerKey = unsigned ? nil : try OwnerKey.load(from: key.map { URL(fileURLWithPath: $0) } ?? OwnerKey.defaultURL(home: OwnerbootHome.url()))
        let documents = try GenerationDocuments.make(board: board.name, generation: generation, store: store, key: ownerKey)
        let exporter = BundleExporter(store: store, signer: ownerKey?.signer, extraFiles: documents)
        let progress = ProgressRenderer.standard(json: json)
        defer { progress.finish() }
        let summary = try exporter.export(board: board.name, generation: generation, to: URL(fileURLWithPath: output), progress: progress.sink)
        progress.finish()
        if json { return try JSONOutput.print(summary) }
        print(String(format: "%@ generation %d (set %@) → %@: %@, %d files in %d store entries, %@, %.1f s", board.name, summary.generation,
                     String(summary.setHash.prefix(16)), summary.path, ByteCount.mebibytes(summary.bytes), summary.files, summary.entries,
                     summary.signed ? "signed" : "unsigned", summary.seconds))
        print("rebuild elsewhere: ownerboot import \(summary.path) && ownerboot build board=\(board.name) --generation \(summary.generation) --expect \(summary.setHash)")
    }
}
