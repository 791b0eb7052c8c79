import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot build`: build a board's derivation set and print the generation and paths.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build a board's derivation set and print the generation and paths.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Flag(help: "Build every component twice and require bit-identical outputs.") var check = false
    @Option(name: .customLong("check-only"), help: "Build only this component twice (repeatable; implies --check), e.g. --check-only os --check-only rom.") var checkOnly: [String] = []
    @Option(help: "Derivations built at once.") var jobs = 2
    @Option(help: "Rebuild generation N from its recorded board snapshot instead of the checkout.") var generation: Int?
    @Option(help: "The set hash the build must have (an imported generation's): any other set fails before building.") var expect: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        var board = try boardOption.load(global: global)
        let store = try Store()
        var recorded: Store.Generation?
        if let generation {
            (board, recorded) = try BoardSnapshot.board(generation: generation, of: board.name, store: store)
        }
        let plan = try BuildPlan.make(board: board, lock: try LockFile.load(for: board), store: store)
        if let recorded, plan.setHash != recorded.setHash {
            throw SnapshotError.setChanged(board: board.name, number: recorded.number, recorded: recorded.setHash, planned: plan.setHash)
        }
        if let expect, plan.setHash != expect.lowercased() {
            throw BuildError.unexpectedSet(board: board.name, expected: expect, planned: plan.setHash)
        }
        // Progress goes to standard error (live on a terminal, NDJSON with --json); standard
        // output keeps the result.
        let progress = ProgressRenderer.standard(json: json)
        // --check-only names what to check, so it checks (it was silently ignored without --check).
        var builder = Builder(store: store, jobs: jobs, check: check || !checkOnly.isEmpty) { event in
            if case .checked(let name, let identical) = event { progress.note("check \(name): \(identical ? "bit-identical" : "DIFFERS")") }
        }
        if !checkOnly.isEmpty {
            let known = Set(plan.componentHashes.keys)
            if let unknown = checkOnly.first(where: { !known.contains($0) }) {
                throw ValidationError("--check-only \(unknown): \(board.name) has no such component (it has \(known.sorted().joined(separator: ", ")))")
            }
            builder.checkComponents = Set(checkOnly)
        }
        builder.progress = progress.sink
        // On an error the live display is cleared before the error is printed.
        defer { progress.finish() }
        let summary = try builder.build(plan)
        progress.finish()
        try ResultLinks.update(board: board.name, outputs: summary.outputs, in: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        if json { return try JSONOutput.print(summary) }
        print(String(format: "%@ generation %d (set %@): %d built, %d cached, %.1f s", board.name, summary.generation, String(summary.setHash.prefix(16)), summary.built.count, summary.cached.count, summary.seconds))
        if let source = plan.fallbackSource { print("  the ROM keeps the protected half of \(source)") }
        for name in summary.outputs.keys.sorted() { print("  result/\(board.name)/\(name) -> \(summary.outputs[name]!)") }
    }
}
