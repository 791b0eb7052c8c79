import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot generations`: the recorded generations of a board.
struct GenerationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generations", abstract: "List a board's generations: number, set hash, components.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        let generations = try Store().generations(board: board.name)
        if json { return try JSONOutput.print(generations) }
        if generations.isEmpty { return print("\(board.name) has no generations yet: `ownerboot build board=\(board.name)`") }
        for g in generations {
            print("\(g.number)\t\(ISO8601DateFormatter().string(from: g.createdAt))\tset \(g.setHash.prefix(16))\t" + g.components.keys.sorted().map { "\($0)=\(g.components[$0]!.prefix(8))" }.joined(separator: " "))
        }
    }
}
