import Foundation
import GRDB
import Support

/// The devices of the fleet, by name.
extension Inventory {
    @discardableResult
    public func addDevice(_ device: Device) throws -> Device {
        try pool.write { db in
            if try Device.filter(Column("name") == device.name).fetchCount(db) > 0 {
                throw InventoryError.deviceExists(name: device.name)
            }
            var device = device
            try device.insert(db)
            return device
        }
    }

    public func removeDevice(named name: String) throws {
        try pool.write { db in
            let deleted = try Device.filter(Column("name") == name).deleteAll(db)
            if deleted == 0 { throw try self.unknown(name, db) }
        }
    }

    public func devices() throws -> [Device] {
        try pool.read { db in try Device.order(Column("name")).fetchAll(db) }
    }

    public func device(named name: String) throws -> Device {
        try pool.read { db in
            guard let device = try Device.filter(Column("name") == name).fetchOne(db) else { throw try self.unknown(name, db) }
            return device
        }
    }

    func unknown(_ name: String, _ db: Database) throws -> InventoryError {
        let names = try String.fetchAll(db, sql: "SELECT name FROM device")
        return .unknownDevice(name: name, suggestion: NearMiss.closest(to: name, in: names))
    }
}
