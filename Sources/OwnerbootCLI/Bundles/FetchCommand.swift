import ArgumentParser
import Foundation
import Orchestrator
import Support

/// `ownerboot fetch`: every input a board (or one of its generations) needs, into the store.
struct FetchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fetch", abstract: "Bring every .deb and source a board needs into the store, so it builds with no network.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "Fetch what generation N was built from (its recorded board snapshot) instead of the checkout.") var generation: Int?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        var board = try boardOption.load(global: global)
        let store = try Store()
        if let generation { (board, _) = try BoardSnapshot.board(generation: generation, of: board.name, store: store) }
        let lock = try LockFile.load(for: board)
        let progress = ProgressRenderer.standard(json: json)
        defer { progress.finish() }
        let summary = try InputFetcher(store: store).fetch(lock, progress: progress.sink)
        progress.finish()
        if json { return try JSONOutput.print(summary) }
        print("fetched \(summary.packages.fetched) .debs and \(summary.sourcesFetched.count) sources (\(ByteCount.mebibytes(summary.fetchedBytes)))")
        print("\(board.name): \(summary.packages.fetched + summary.packages.present) .debs and \(summary.sourcesFetched.count + summary.sourcesPresent.count) sources in the store, \(ByteCount.mebibytes(summary.totalBytes)) in all; a build needs no network now")
    }
}

/// Sizes as people read them.
enum ByteCount {
    static func mebibytes(_ bytes: Int64) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }
}
