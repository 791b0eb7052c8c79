import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot plan`: every derivation with its hash and whether it is built, without building.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show what would be built, what is cached, and every hash (builds nothing).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        let name: String
        let kind: String
        let hash: String
        let inStore: Bool
        let inputs: [String: String]
    }

    struct Output: Encodable {
        let board: String
        let setHash: String
        let generation: Int
        let generationIsNew: Bool
        let fallbackSource: String?
        let derivations: [Row]
    }

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let store = try Store()
        let plan = try BuildPlan.make(board: board, lock: try LockFile.load(for: board), store: store)
        let rows = plan.steps.map { step in
            Row(name: step.derivation.name, kind: step.derivation.kind.rawValue, hash: step.derivation.hash, inStore: store.contains(step.derivation),
                inputs: Dictionary(uniqueKeysWithValues: step.derivation.inputs.map { ($0.name, $0.hash) }))
        }
        if json {
            return try JSONOutput.print(Output(board: board.name, setHash: plan.setHash, generation: plan.generation, generationIsNew: plan.generationIsNew, fallbackSource: plan.fallbackSource, derivations: rows))
        }
        print("board \(board.name): set \(plan.setHash.prefix(16)), generation \(plan.generation)\(plan.generationIsNew ? " (new)" : "")")
        if let source = plan.fallbackSource { print("  the ROM keeps the protected half of \(source)") }
        for row in rows {
            print("  \(row.inStore ? "cached" : "build ")  \(row.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(row.hash.prefix(16))  \(row.inputs.keys.sorted().joined(separator: ", "))")
        }
        if let packages = plan.lock.buildenv?.packages, !store.contains(plan.steps[0].derivation) {
            let missing = packages.filter { $0.derivation.map { !store.contains($0) } ?? true }
            print("  the build environment installs \(packages.count) pinned .debs, \(missing.count) not in the store\(missing.isEmpty ? "" : " (`ownerboot fetch board=\(board.name)` gets them)")")
        }
    }
}
