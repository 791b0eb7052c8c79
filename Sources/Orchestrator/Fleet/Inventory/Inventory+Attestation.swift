import Foundation
import GRDB
import Support

/// Enrolled attestation keys and the attestations judged with them.
extension Inventory {
    /// Records `akPublic` as `device`'s attestation key. With a key already enrolled, refuses
    /// unless `replace`; returns the key it replaced.
    @discardableResult
    public func enrol(device name: String, akPublic: [UInt8], akName: String, replace: Bool, at time: Date = Date()) throws -> (enrolled: EnrolledKey, replaced: EnrolledKey?) {
        try pool.write { db in
            guard let id = try Device.filter(Column("name") == name).fetchOne(db)?.id else { throw try self.unknown(name, db) }
            let existing = try EnrolledKey.filter(Column("deviceId") == id).fetchOne(db)
            if let existing {
                guard replace else {
                    throw FleetAttestError.alreadyEnrolled(device: name, akName: existing.akName, enrolledAt: ISO8601DateFormatter().string(from: existing.enrolledAt))
                }
                try existing.delete(db)
            }
            var key = EnrolledKey(deviceId: id, akPublic: Data(akPublic), akName: akName, enrolledAt: time)
            try key.insert(db)
            return (key, existing)
        }
    }

    /// The device's enrolled key; nil when none.
    public func enrolledKey(device name: String) throws -> EnrolledKey? {
        let id = try device(named: name).id!
        return try pool.read { db in try EnrolledKey.filter(Column("deviceId") == id).fetchOne(db) }
    }

    @discardableResult
    public func recordAttestation(_ attestation: Attestation) throws -> Attestation {
        try pool.write { db in
            var attestation = attestation
            try attestation.insert(db)
            return attestation
        }
    }

    /// A device's attestations, oldest first.
    public func attestations(device name: String) throws -> [Attestation] {
        let id = try device(named: name).id!
        return try pool.read { db in try Attestation.filter(Column("deviceId") == id).order(Column("time"), Column("id")).fetchAll(db) }
    }

    /// What the inventory says is on the device's chip: its last landed flash (nil if never flashed).
    public func landed(device name: String) throws -> (generation: Int?, setHash: String?, fallbackGeneration: Int?)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT landedTime, landedGeneration, landedSetHash, landedFallback FROM device WHERE name = ?", arguments: [name]) else {
                throw try self.unknown(name, db)
            }
            guard (row["landedTime"] as String?) != nil else { return nil }
            return (row["landedGeneration"], row["landedSetHash"], row["landedFallback"])
        }
    }

    /// The last attestation of every device that has one, by device id (`fleet list`).
    func lastAttestations(_ db: Database) throws -> [Int64: Attestation] {
        let last = try Attestation.fetchAll(db, sql: """
            SELECT * FROM attestation WHERE id IN (
                SELECT (SELECT id FROM attestation AS a WHERE a.deviceId = d.deviceId ORDER BY time DESC, id DESC LIMIT 1)
                FROM (SELECT DISTINCT deviceId FROM attestation) AS d)
            """)
        return Dictionary(last.map { ($0.deviceId, $0) }, uniquingKeysWith: { a, _ in a })
    }
}
