/// Where a device stands against what ownerboot built for its board.
public struct FleetStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// The last successful flash wrote the board's latest generation.
        case current
        /// A successful flash wrote an older generation than the latest built.
        case outdated
        /// The chip holds something ownerboot did not build (or cannot place).
        case unknownFirmware = "unknown firmware"
        case neverFlashed = "never flashed"
    }
    public var device: String
    public var board: String
    public var generationOnChip: Int?
    public var latestGeneration: Int?
    public var lastFlashed: String?
    public var state: State
}

/// The latest generation ownerboot built for each board (from the generations record).
/// The inventory asks it; it never reads the store itself.
public protocol GenerationLookup: Sendable {
    func latest(board: String) -> (number: Int, setHash: String)?
    func generation(board: String, setHash: String) -> Int?
}

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
