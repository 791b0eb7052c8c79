import Foundation
@testable import Orchestrator
import Testing
@testable import OwnerbootCLI

/// `fleet list`'s text, byte for byte, made from a real inventory's rows.
struct FleetTableTests {
    @Test func oneTabSeparatedLinePerDevice() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-table-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let inventory = try Inventory.open(home: dir)
        let generations = FixedGenerations(["x230": [(12, "x12")], "qemu-x86": [(3, "q3"), (120, "q120")]])
        #expect(try FleetTable.bytes(inventory, generations: generations).devices == 0)
        #expect(String(decoding: try FleetTable.bytes(inventory, generations: generations).bytes, as: UTF8.self) == FleetTable.header)

        try inventory.addDevices([Device(name: "router", board: "qemu-x86"), Device(name: "laptop", board: "x230"), Device(name: "old", board: "hp-abm")])
        let flash: (String, String, Int, Int?) throws -> Void = { device, setHash, generation, fallback in
            try inventory.recordFlash(device: device) {
                FlashEvent(deviceId: $0, generation: generation, setHash: setHash, romHash: "r", readbackHash: "r", chip: "W25Q128.V",
                           programmer: "dummy", outcome: .success, bytesWritten: 1, backupReference: nil, fallbackGeneration: fallback)
            }
        }
        try flash("router", "q3", 3, 2)
        try flash("old", "foreign", 0, nil)
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let router = try inventory.device(named: "router").id!
        try inventory.recordAttestation(Attestation(deviceId: router, time: now.addingTimeInterval(-7200), nonce: "00", verdict: .matches, expectedGeneration: 3,
                                                    generation: 3, path: "normal", detail: "", resetCount: 1, restartCount: 0, akName: "k"))
        let laptop = try inventory.device(named: "laptop").id!
        try inventory.recordAttestation(Attestation(deviceId: laptop, time: now.addingTimeInterval(-90), nonce: "00", verdict: .otherGeneration, expectedGeneration: 11,
                                                    generation: 12, path: "fallback", detail: "", resetCount: 1, restartCount: 0, akName: "k"))
        let table = try FleetTable.bytes(inventory, generations: generations, now: now)
        #expect(table.devices == 3)
        #expect(String(decoding: table.bytes, as: UTF8.self) == """
            DEVICE\tBOARD\tON CHIP\tFALLBACK\tLATEST\tSTATUS\tATTESTED
            laptop\tx230\t-\t-\t12\tnever flashed\totherGeneration 12 fallback 1m ago
            old\thp-abm\t0\t-\t-\tunknown firmware\t-
            router\tqemu-x86\t3\t2\t120\toutdated\t3 normal 2h ago

            """)
    }
}
