import Foundation
import GRDB
import Testing
@testable import Orchestrator

@Suite struct InventoryTests {
    func withInventory(_ body: (Inventory, URL) throws -> Void) throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(try Inventory.open(home: dir), dir)
    }

    func flash(_ inventory: Inventory, _ device: String, generation: Int, setHash: String, outcome: FlashEvent.Outcome = .success, at time: Date = Date()) throws {
        try inventory.recordFlash(device: device) {
            FlashEvent(deviceId: $0, time: time, generation: generation, setHash: setHash, romHash: "rom-\(setHash)", readbackHash: "rom-\(setHash)", chip: "W25Q128.V", programmer: "dummy", outcome: outcome, bytesWritten: 4096, backupReference: nil)
        }
    }

    @Test func statusMovesFromNeverFlashedToCurrentToOutdated() throws {
        try withInventory { inventory, _ in
            try inventory.addDevice(Device(name: "router-1", board: "qemu-x86", serial: "A1"))
            var generations = FixedGenerations(["qemu-x86": [(1, "set1")]])
            #expect(try inventory.statuses(generations: generations).map(\.state) == [.neverFlashed])

            try flash(inventory, "router-1", generation: 1, setHash: "set1")
            let current = try inventory.statuses(generations: generations)[0]
            #expect(current.state == .current)
            #expect(current.generationOnChip == 1)

            generations = FixedGenerations(["qemu-x86": [(1, "set1"), (2, "set2")]])
            let outdated = try inventory.statuses(generations: generations)[0]
            #expect(outdated.state == .outdated)
            #expect(outdated.latestGeneration == 2)

            // A refused flash does not change what is on the chip.
            try flash(inventory, "router-1", generation: 2, setHash: "set2", outcome: .refused, at: Date().addingTimeInterval(1))
            #expect(try inventory.statuses(generations: generations)[0].state == .outdated)
            try flash(inventory, "router-1", generation: 2, setHash: "set2", at: Date().addingTimeInterval(2))
            #expect(try inventory.statuses(generations: generations)[0].state == .current)

            try flash(inventory, "router-1", generation: 9, setHash: "foreign", at: Date().addingTimeInterval(3))
            #expect(try inventory.statuses(generations: generations)[0].state == .unknownFirmware)
        }
    }

    /// The fast listing reports what the old per-row reading did: the last landed flash by
    /// time then id, its time in ISO 8601 (whole seconds, UTC).
    @Test func theListingPicksTheLastLandedFlashAndFormatsItsTime() throws {
        try withInventory { inventory, _ in
            try inventory.addDevice(Device(name: "b-router", board: "qemu-x86"))
            try inventory.addDevice(Device(name: "a-laptop", board: "x230"))
            let time = Date(timeIntervalSince1970: 1_764_410_461.789)
            let generations = FixedGenerations(["qemu-x86": [(1, "s1"), (2, "s2")], "x230": [(7, "x7")]])
            // Two flashes at the same instant: the later one (higher id) is on the chip.
            try flash(inventory, "b-router", generation: 1, setHash: "s1", at: time)
            try flash(inventory, "b-router", generation: 2, setHash: "s2", at: time)
            try flash(inventory, "b-router", generation: 1, setHash: "s1", outcome: .failed, at: time.addingTimeInterval(60))
            let statuses = try inventory.statuses(generations: generations)
            #expect(statuses.map(\.device) == ["a-laptop", "b-router"])
            #expect(statuses[0] == FleetStatus(device: "a-laptop", board: "x230", generationOnChip: nil, latestGeneration: 7, lastFlashed: nil, state: .neverFlashed))
            #expect(statuses[1] == FleetStatus(device: "b-router", board: "qemu-x86", generationOnChip: 2, latestGeneration: 2, lastFlashed: "2025-11-29T10:01:01Z", state: .current))
            #expect(statuses[1].lastFlashed == ISO8601DateFormatter().string(from: time))
        }
    }

    /// The landed flash a device row carries is the latest by time, whatever order the events
    /// arrive in: an import may bring an older flash after a newer one.
    @Test func anOlderFlashRecordedLaterDoesNotReplaceTheLandedOne() throws {
        try withInventory { inventory, _ in
            try inventory.addDevice(Device(name: "router", board: "qemu-x86"))
            let generations = FixedGenerations(["qemu-x86": [(1, "s1"), (2, "s2")]])
            let time = Date(timeIntervalSince1970: 1_764_410_461)
            try flash(inventory, "router", generation: 2, setHash: "s2", at: time)
            try flash(inventory, "router", generation: 1, setHash: "s1", at: time.addingTimeInterval(-3600))
            let status = try inventory.statuses(generations: generations)[0]
            #expect(status.generationOnChip == 2)
            #expect(status.state == .current)
            #expect(status.lastFlashed == "2025-11-29T10:01:01Z")
            try flash(inventory, "router", generation: 1, setHash: "s1", at: time.addingTimeInterval(1))
            #expect(try inventory.statuses(generations: generations)[0].generationOnChip == 1)
        }
    }

    /// An inventory written before the device rows carried their landed flash is filled in
    /// by the migration: the listing shows the same as before the upgrade.
    @Test func theMigrationFillsInTheLandedFlashOfAnOlderInventory() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("inventory.sqlite").path
        do {
            let queue = try DatabaseQueue(path: path)
            try Inventory.migrator.migrate(queue, upTo: "v3-fallback-generation")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO device (id, name, board, createdAt) VALUES (1, 'old-router', 'qemu-x86', '2025-01-01 00:00:00.000'),
                        (2, 'old-laptop', 'x230', '2025-01-01 00:00:00.000');
                    INSERT INTO flashEvent (deviceId, time, generation, setHash, romHash, chip, programmer, outcome, bytesWritten, fallbackGeneration)
                    VALUES (1, '2025-11-29 10:01:01.500', 3, 's3', 'r', 'W25Q128.V', 'dummy', 'success', 1, 2),
                           (1, '2025-11-29 09:00:00.000', 2, 's2', 'r', 'W25Q128.V', 'dummy', 'success', 1, 2),
                           (1, '2025-11-29 11:00:00.000', 4, 's4', 'r', 'W25Q128.V', 'dummy', 'failed', 1, 2);
                    """)
            }
        }
        let inventory = try Inventory(path: path)
        let statuses = try inventory.statuses(generations: FixedGenerations(["qemu-x86": [(3, "s3"), (4, "s4")]]))
        #expect(statuses == [
            FleetStatus(device: "old-laptop", board: "x230", generationOnChip: nil, latestGeneration: nil, lastFlashed: nil, state: .neverFlashed),
            FleetStatus(device: "old-router", board: "qemu-x86", generationOnChip: 3, latestGeneration: 4, lastFlashed: "2025-11-29T10:01:01Z",
                        state: .outdated, fallbackGenerationOnChip: 2),
        ])
    }

    @Test func duplicateAndUnknownDevicesAreClearErrors() throws {
        try withInventory { inventory, _ in
            try inventory.addDevice(Device(name: "laptop", board: "x230"))
            #expect(throws: InventoryError.deviceExists(name: "laptop")) { try inventory.addDevice(Device(name: "laptop", board: "x230")) }
            #expect(throws: InventoryError.unknownDevice(name: "lapotp", suggestion: "laptop")) { try inventory.removeDevice(named: "lapotp") }
            try inventory.removeDevice(named: "laptop")
            #expect(try inventory.devices().isEmpty)
        }
    }

    @Test func exportImportRoundTripsAndDoesNotDuplicate() throws {
        try withInventory { source, _ in
            try source.addDevice(Device(name: "r1", board: "qemu-x86"))
            try source.addDevice(Device(name: "r2", board: "qemu-x86", location: "rack 2"))
            try flash(source, "r2", generation: 1, setHash: "s1")
            let export = try source.export()
            let data = try JSONEncoder().encode(export)
            try withInventory { target, _ in
                let decoded = try JSONDecoder().decode(Inventory.Export.self, from: data)
                try target.importExport(decoded)
                try target.importExport(decoded)
                let again = try target.export()
                #expect(again.devices.map(\.name) == ["r1", "r2"])
                #expect(again.flashes.count == 1)
                #expect(try target.history(device: "r2").flashes.first?.setHash == "s1")
            }
        }
    }

    /// Two connections (as two `ownerboot` processes have) writing at once lose nothing.
    @Test func twoWritersLoseNothing() throws {
        try withInventory { inventory, dir in
            try inventory.addDevice(Device(name: "d", board: "qemu-x86"))
            let second = try Inventory.open(home: dir)
            let group = DispatchGroup()
            for (index, writer) in [inventory, second].enumerated() {
                DispatchQueue.global().async(group: group) {
                    for n in 0..<200 {
                        try? self.flash(writer, "d", generation: n, setHash: "w\(index)-\(n)")
                    }
                }
            }
            group.wait()
            #expect(try inventory.history(device: "d").flashes.count == 400)
        }
    }

    /// An inventory made by an old schema (v2) opens as the current one: its events keep an
    /// unknown fallback, new ones record it, and `fleet list`'s query reads only the covering
    /// index, which holds every column it prints.
    @Test func aV2InventoryMigratesAndTheListStaysOnTheCoveringIndex() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("inventory.sqlite").path
        do {
            let old = try DatabaseQueue(path: path)
            try Inventory.migrator.migrate(old, upTo: "v2")
            try old.write { db in
                try db.execute(sql: "INSERT INTO device (name, board, createdAt) VALUES ('old', 'qemu-x86', '2025-11-29 10:00:00.000')")
                try db.execute(sql: """
                    INSERT INTO flashEvent (deviceId, time, generation, setHash, romHash, chip, programmer, outcome, bytesWritten)
                    VALUES (1, '2025-11-29 10:01:01.000', 1, 'set1', 'r', 'W25Q128.V', 'dummy', 'success', 4096)
                    """)
            }
        }
        let inventory = try Inventory(path: path)
        let generations = FixedGenerations(["qemu-x86": [(1, "set1"), (2, "set2")]])
        var status = try inventory.statuses(generations: generations)[0]
        #expect(status.generationOnChip == 1 && status.fallbackGenerationOnChip == nil && status.state == .outdated)
        try inventory.recordFlash(device: "old") {
            FlashEvent(deviceId: $0, generation: 2, setHash: "set2", romHash: "r2", readbackHash: "r2", chip: "W25Q128.V", programmer: "dummy", outcome: .success, bytesWritten: 4096, backupReference: nil, fallbackGeneration: 1)
        }
        status = try inventory.statuses(generations: generations)[0]
        #expect(status.generationOnChip == 2 && status.fallbackGenerationOnChip == 1 && status.state == .current)
        let queue = try DatabaseQueue(path: path)
        try queue.read { db in
            let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_index_info('device_listing')")
            #expect(columns == ["name", "board", "landedGeneration", "landedSetHash", "landedTime", "landedFallback"])
            let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + Inventory.listingSQL).map { $0["detail"] as String }.joined(separator: "; ")
            #expect(plan.contains("COVERING INDEX device_listing"), "\(plan)")
        }
    }
}
