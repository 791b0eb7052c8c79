import Foundation
import GRDB
import Support

/// The whole inventory as one value, and merging one in (`fleet export`/`import`).
extension Inventory {
    /// The whole inventory as one JSON-encodable value.
    public struct Export: Codable, Sendable, Equatable {
        public var format: Int
        public var devices: [Device]
        public var flashes: [FlashEvent]
        public var readbacks: [Readback]
    }

    public func export() throws -> Export {
        try pool.read { db in
            Export(format: 1, devices: try Device.order(Column("id")).fetchAll(db),
                   flashes: try FlashEvent.order(Column("id")).fetchAll(db),
                   readbacks: try Readback.order(Column("id")).fetchAll(db))
        }
    }

    /// Merges an export: devices are matched by name (new ones added), and their events are
    /// added unless an identical event (same device, time and ROM hash) is already there.
    public func importExport(_ export: Export) throws {
        guard export.format == 1 else { throw InventoryError.badExport(file: "import", reason: "format \(export.format) is not 1") }
        try pool.write { db in
            var idMap: [Int64: Int64] = [:]
            for var device in export.devices {
                let oldID = device.id
                if let existing = try Device.filter(Column("name") == device.name).fetchOne(db) {
                    idMap[oldID ?? -1] = existing.id!
                } else {
                    device.id = nil
                    try device.insert(db)
                    idMap[oldID ?? -1] = device.id!
                }
            }
            for var flash in export.flashes {
                guard let deviceId = idMap[flash.deviceId] else { continue }
                let exists = try FlashEvent.filter(Column("deviceId") == deviceId && Column("time") == flash.time && Column("romHash") == flash.romHash).fetchCount(db) > 0
                if exists { continue }
                flash.id = nil
                flash.deviceId = deviceId
                try flash.insert(db)
            }
            for var readback in export.readbacks {
                readback.deviceId = readback.deviceId.flatMap { idMap[$0] }
                let exists = try Readback.filter(Column("time") == readback.time && Column("dumpHash") == readback.dumpHash).fetchCount(db) > 0
                if exists { continue }
                readback.id = nil
                try readback.insert(db)
            }
        }
    }

    /// Records many flash events in one transaction (benchmarks, bulk imports).
    public func recordFlashes(_ events: [FlashEvent]) throws {
        try pool.write { db in
            for var event in events { try event.insert(db) }
        }
    }

    /// Adds many devices in one transaction (imports, benchmarks).
    public func addDevices(_ devices: [Device]) throws {
        try pool.write { db in
            for var device in devices { try device.insert(db) }
        }
    }
}
