import ArgumentParser
import Boot
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
        let store = try Store()
        let generations = try store.generations(board: board.name)
        if json { return try JSONOutput.print(generations.map { GenerationWithPCRs(generation: $0, pcrs: GenerationPCRs.of($0, store: store)) }) }
        if generations.isEmpty { return print("\(board.name) has no generations yet: `ownerboot build board=\(board.name)`") }
        for g in generations {
            let pcr2 = GenerationPCRs.of(g, store: store)?.first.map { "\tPCR2 \($0.value(ofPCR: 2).prefix(16))" } ?? ""
            print("\(g.number)\t\(ISO8601DateFormatter().string(from: g.createdAt))\tset \(g.setHash.prefix(16))\t" + g.components.keys.sorted().map { "\($0)=\(g.components[$0]!.prefix(8))" }.joined(separator: " ") + pcr2)
        }
    }
}

/// A generation record with the PCRs its ROM produces (`pcrs`, per boot path) beside it.
struct GenerationWithPCRs: Encodable {
    var generation: Store.Generation
    var pcrs: [PCRPrediction]?

    enum Keys: String, CodingKey { case pcrs }

    func encode(to encoder: Encoder) throws {
        try generation.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(pcrs, forKey: .pcrs)
    }
}
