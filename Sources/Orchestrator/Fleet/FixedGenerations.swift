/// A lookup from a fixed table, for tests and for boards with no store yet.
public struct FixedGenerations: GenerationLookup {
    public var latestByBoard: [String: (number: Int, setHash: String)]
    public var all: [String: [String: Int]]

    public init(_ generations: [String: [(number: Int, setHash: String)]] = [:]) {
        latestByBoard = generations.compactMapValues { $0.max { $0.number < $1.number } }
        all = generations.mapValues { Dictionary($0.map { ($0.setHash, $0.number) }, uniquingKeysWith: max) }
    }

    public func latest(board: String) -> (number: Int, setHash: String)? { latestByBoard[board] }
    public func generation(board: String, setHash: String) -> Int? { all[board]?[setHash] }
}
