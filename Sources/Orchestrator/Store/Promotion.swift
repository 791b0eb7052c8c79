import Foundation
import GRDB

/// The generation a board's write-protected (fallback) half was last promoted to, and the
/// ROM derivation `ownerboot promote` wrote: later builds keep that ROM's protected half
/// byte for byte, unless board.toml names `[write_protect] fallback_generation`.
public struct Promotion: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "promotion"
    public var board: String
    public var generation: Int
    /// The derivation hash of the ROM written (its store folder is `<romHash>-rom`).
    public var romHash: String
    public var time: Date

    public init(board: String, generation: Int, romHash: String, time: Date = Date()) {
        self.board = board
        self.generation = generation
        self.romHash = romHash
        self.time = time
    }
}

extension Store {
    /// Records (replacing the board's previous one) a promotion, in one transaction.
    public func recordPromotion(_ promotion: Promotion) throws {
        try pool.write { db in try promotion.save(db) }
    }

    /// The board's last promotion, nil before the first.
    public func promotion(board: String) throws -> Promotion? {
        try pool.read { db in try Promotion.fetchOne(db, key: board) }
    }
}
