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

    public init(id: Int64? = nil, deviceId: Int64, time: Date = Date(), generation: Int?, setHash: String?, romHash: String, readbackHash: String?, chip: String, programmer: String, outcome: Outcome, bytesWritten: Int, backupReference: String?) {
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
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

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
