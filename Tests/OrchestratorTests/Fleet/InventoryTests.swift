import Foundation
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
            #expect(Inventory.iso8601("2025-11-29 10:01:01.789") == "2025-11-29T10:01:01Z")
            #expect(Inventory.iso8601(Data("2025-11-29 10:01:01.789".utf8)) == "2025-11-29T10:01:01Z")
            #expect(Inventory.iso8601(Data("2025-11-29 10:01:01".utf8)) == "2025-11-29T10:01:01Z")
            #expect(Inventory.iso8601("2025-11-29T10:01:01.5") == "2025-11-29T10:01:01Z", "other stored forms are parsed")
        }
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
}
