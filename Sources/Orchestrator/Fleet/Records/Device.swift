import Foundation
import GRDB

/// A machine the owner keeps track of: one row per device, named by the owner.
public struct Device: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "device"
    public var id: Int64?
    public var name: String
    public var board: String
    public var serial: String?
    public var location: String?
    public var notes: String?
    public var createdAt: Date

    public init(id: Int64? = nil, name: String, board: String, serial: String? = nil, location: String? = nil, notes: String? = nil, createdAt: Date = Date()) {
        self.id = id
        self.name = name
        self.board = board
        self.serial = serial
        self.location = location
        self.notes = notes
        self.createdAt = createdAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
