import Foundation
import GRDB
import Support

/// The inventory's tables, migrated in order from the first version on.
extension Inventory {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "device") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique()
                t.column("board", .text).notNull().indexed()
                t.column("serial", .text)
                t.column("location", .text)
                t.column("notes", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "flashEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .integer).notNull().references("device", onDelete: .cascade)
                t.column("time", .datetime).notNull()
                t.column("generation", .integer)
                t.column("setHash", .text)
                t.column("romHash", .text).notNull()
                t.column("readbackHash", .text)
                t.column("chip", .text).notNull()
                t.column("programmer", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("bytesWritten", .integer).notNull()
                t.column("backupReference", .text)
            }
            try db.create(index: "flashEvent_device_time", on: "flashEvent", columns: ["deviceId", "time"])
            try db.create(table: "readback") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .integer).references("device", onDelete: .cascade)
                t.column("time", .datetime).notNull()
                t.column("dumpHash", .text).notNull()
                t.column("identifiedAs", .text).notNull()
                t.column("generation", .integer)
                t.column("setHash", .text)
            }
        }
        migrator.registerMigration("v2") { db in
            // `fleet list` reads only these two indexes, never the tables: the flashes that
            // changed a chip in (device, time, id) order with what they wrote, and the
            // devices by name with their board.
            try db.execute(sql: "CREATE INDEX flashEvent_landed ON flashEvent(deviceId, time, id, generation, setHash, outcome) WHERE outcome IN ('success', 'restored')")
            try db.execute(sql: "CREATE INDEX device_listing ON device(name, board)")
        }
        // Named after what it adds, not only a number: work on other branches may add its own v3.
        migrator.registerMigration("v3-fallback-generation") { db in
            // Each flash records the generation of the chip's write-protected half; the
            // covering index gains it so `fleet list` still never reads the table. Earlier
            // events keep NULL (unknown): their ROMs are not read back here.
            try db.alter(table: "flashEvent") { t in t.add(column: "fallbackGeneration", .integer) }
            try db.execute(sql: "DROP INDEX flashEvent_landed")
            try db.execute(sql: "CREATE INDEX flashEvent_landed ON flashEvent(deviceId, time, id, generation, setHash, fallbackGeneration, outcome) WHERE outcome IN ('success', 'restored')")
        }
        migrator.registerMigration("v4-device-landed") { db in
            // `fleet list` reads one index: each device carries what its last landed flash
            // (by time, then id) wrote, kept by a trigger on every recorded or imported flash,
            // so the listing is one scan in name order instead of a scan of every flash too.
            try db.alter(table: "device") { t in
                t.add(column: "landedFlashId", .integer)
                t.add(column: "landedTime", .text)
                t.add(column: "landedGeneration", .integer)
                t.add(column: "landedSetHash", .text)
                t.add(column: "landedFallback", .integer)
            }
            try db.execute(sql: """
                UPDATE device SET (landedFlashId, landedTime, landedGeneration, landedSetHash, landedFallback) = (
                    SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', time), generation, setHash, fallbackGeneration
                    FROM flashEvent WHERE deviceId = device.id AND outcome IN ('success', 'restored')
                    ORDER BY time DESC, id DESC LIMIT 1);
                CREATE TRIGGER flashEvent_lands AFTER INSERT ON flashEvent
                WHEN NEW.outcome IN ('success', 'restored')
                BEGIN
                    UPDATE device SET landedFlashId = NEW.id, landedTime = strftime('%Y-%m-%dT%H:%M:%SZ', NEW.time),
                        landedGeneration = NEW.generation, landedSetHash = NEW.setHash, landedFallback = NEW.fallbackGeneration
                    WHERE id = NEW.deviceId AND NOT EXISTS (
                        SELECT 1 FROM flashEvent AS landed WHERE landed.id = device.landedFlashId
                        AND (landed.time > NEW.time OR (landed.time = NEW.time AND landed.id > NEW.id)));
                END;
                DROP INDEX flashEvent_landed;
                DROP INDEX device_listing;
                CREATE INDEX device_listing ON device(name, board, landedGeneration, landedSetHash, landedTime, landedFallback);
                """)
        }
        migrator.registerMigration("v5-attestation") { db in
            // The enrolled attestation key, one per device, and every quote judged against it.
            try db.create(table: "attestationKey") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .integer).notNull().unique().references("device", onDelete: .cascade)
                t.column("akPublic", .blob).notNull()
                t.column("akName", .text).notNull()
                t.column("enrolledAt", .datetime).notNull()
            }
            try db.create(table: "attestation") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .integer).notNull().references("device", onDelete: .cascade)
                t.column("time", .datetime).notNull()
                t.column("nonce", .text).notNull()
                t.column("verdict", .text).notNull()
                t.column("expectedGeneration", .integer)
                t.column("generation", .integer)
                t.column("path", .text)
                t.column("detail", .text).notNull()
                t.column("resetCount", .integer)
                t.column("restartCount", .integer)
                t.column("akName", .text).notNull()
            }
            try db.create(index: "attestation_device_time", on: "attestation", columns: ["deviceId", "time", "id"])
        }
        return migrator
    }
}
