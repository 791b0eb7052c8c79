import Foundation
import GRDB

/// One attempt to write firmware to a device's chip, whatever its outcome.
public struct FlashEvent: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "flashEvent"
    public enum Outcome: String, Codable, Sendable, DatabaseValueConvertible {
        case success, refused, failed, restored
    }
    public var id: Int64?
    public var deviceId: Int64
    public var time: Date
    public var generation: Int?
    public var setHash: String?
    public var romHash: String
    public var readbackHash: String?
    public var chip: String
    public var programmer: String
    public var outcome: Outcome
    public var bytesWritten: Int
    public var backupReference: String?
    /// The generation of the write-protected (fallback) half the chip holds after this flash:
    /// the image's when it was written whole, the chip's earlier one when only the normal
    /// region was written; nil for a single-CBFS ROM (no separate half) or when unknown
    /// (events recorded before inventory v3).
    public var fallbackGeneration: Int?

    public init(id: Int64? = nil, deviceId: Int64, time: Date = Date(), generation: Int?, setHash: String?, romHash: String, readbackHash: String?, chip: String, programmer: String, outcome: Outcome, bytesWritten: Int, backupReference: String?, fallbackGeneration: Int? = nil) {
        self.id = id
        self.deviceId = deviceId
        self.time = time
        self.generation = generation
        self.setHash = setHash
        self.romHash = romHash
        self.readbackHash = readbackHash
        self.chip = chip
        self.programmer = programmer
        self.outcome = outcome
        self.bytesWritten = bytesWritten
        self.backupReference = backupReference
        self.fallbackGeneration = fallbackGeneration
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
