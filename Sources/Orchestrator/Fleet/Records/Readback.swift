import Foundation
import GRDB

/// A chip read back (a dump or a live chip) and what it was identified as.
public struct Readback: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "readback"
    public var id: Int64?
    public var deviceId: Int64?
    public var time: Date
    public var dumpHash: String
    /// e.g. "qemu-x86 generation 3 (matching)", "unknown".
    public var identifiedAs: String
    public var generation: Int?
    public var setHash: String?

    public init(id: Int64? = nil, deviceId: Int64?, time: Date = Date(), dumpHash: String, identifiedAs: String, generation: Int?, setHash: String?) {
        self.id = id
        self.deviceId = deviceId
        self.time = time
        self.dumpHash = dumpHash
        self.identifiedAs = identifiedAs
        self.generation = generation
        self.setHash = setHash
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
