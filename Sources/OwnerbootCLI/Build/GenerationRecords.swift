import Foundation
import Orchestrator

/// The generations the fleet compares against: what the store recorded for each board.
enum GenerationRecords {
    static func lookup() throws -> GenerationLookup {
        let all = try Store().allGenerations()
        var byBoard: [String: [(number: Int, setHash: String)]] = [:]
        for generation in all { byBoard[generation.board, default: []].append((generation.number, generation.setHash)) }
        return FixedGenerations(byBoard)
    }
}
