import ArgumentParser
import Boot
import Foundation
import Orchestrator

/// `ownerboot generations`: the recorded generations of a board.
struct GenerationsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generations", abstract: "List a board's generations: number, set hash, components.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Flag(help: "Print JSON.") var json = false

    /// A generation, when its ROM is in the store the generation each half carries and the
    /// PCRs predicted for each boot path, and whether it is the one last promoted to the
    /// board's protected half.
    struct Row: Encodable {
        let generation: Store.Generation
        let halves: ROMHalves?
        let pcrs: [PCRPrediction]?
        let promoted: Bool

        func encode(to encoder: Encoder) throws {
            try generation.encode(to: encoder)
            var container = encoder.container(keyedBy: Key.self)
            try container.encodeIfPresent(halves, forKey: .halves)
            try container.encodeIfPresent(pcrs, forKey: .pcrs)
            try container.encode(promoted, forKey: .promoted)
        }
        enum Key: String, CodingKey { case halves, pcrs, promoted }
    }

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let store = try Store()
        let generations = try store.generations(board: board.name)
        let promoted = try store.promotion(board: board.name)?.generation
        if json { return try JSONOutput.print(generations.map { Row(generation: $0, halves: ROMHalves.of($0, store: store), pcrs: GenerationPCRs.of($0, store: store), promoted: $0.number == promoted) }) }
        if generations.isEmpty { return print("\(board.name) has no generations yet: `ownerboot build board=\(board.name)`") }
        for g in generations {
            let halves = ROMHalves.of(g, store: store).map { "\t[\($0.summary)]" } ?? ""
            // PCR 2 per boot path (fallback, then normal when the ROM has one).
            let pcr2 = GenerationPCRs.of(g, store: store).map { paths in paths.map { "\tPCR2 \($0.bootPath) \($0.value(ofPCR: 2).prefix(16))" }.joined() } ?? ""
            let mark = g.number == promoted ? "\tpromoted (the protected half's)" : ""
            print("\(g.number)\t\(ISO8601DateFormatter().string(from: g.createdAt))\tset \(g.setHash.prefix(16))\t" + g.components.keys.sorted().map { "\($0)=\(g.components[$0]!.prefix(8))" }.joined(separator: " ") + halves + pcr2 + mark)
        }
    }
}

