import Foundation
import GRDB
import Support

/// Flash events and readbacks, recorded against a device.
extension Inventory {
    @discardableResult
    public func recordFlash(device name: String, _ make: (Int64) -> FlashEvent) throws -> FlashEvent {
        try pool.write { db in
            guard let id = try Device.filter(Column("name") == name).fetchOne(db)?.id else { throw try self.unknown(name, db) }
            var event = make(id)
            try event.insert(db)
            return event
        }
    }

    @discardableResult
    public func recordReadback(_ readback: Readback) throws -> Readback {
        try pool.write { db in
            var readback = readback
            try readback.insert(db)
            return readback
        }
    }

    /// A device's flash events, oldest first.
    public func history(device name: String) throws -> (device: Device, flashes: [FlashEvent], readbacks: [Readback]) {
        let device = try self.device(named: name)
        return try pool.read { db in
            let flashes = try FlashEvent.filter(Column("deviceId") == device.id!).order(Column("time"), Column("id")).fetchAll(db)
            let readbacks = try Readback.filter(Column("deviceId") == device.id!).order(Column("time"), Column("id")).fetchAll(db)
            return (device, flashes, readbacks)
        }
    }
}
