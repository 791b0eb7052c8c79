import Foundation
import GRDB
import Testing
@testable import Orchestrator

/// The attestation tables without a TPM: enrolment refused twice, replaced with --replace;
/// attestations recorded, the last one listed, removed with their device.
@Suite struct AttestationInventoryTests {
    func withInventory(_ body: (Inventory) throws -> Void) throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try body(try Inventory.open(home: dir))
    }

    @Test func aSecondEnrolmentIsRefusedUnlessReplacedAndNamesWhatItReplaces() throws {
        try withInventory { inventory in
            try inventory.addDevice(Device(name: "router", board: "qemu-x86"))
            #expect(try inventory.enrolledKey(device: "router") == nil)
            let first = try inventory.enrol(device: "router", akPublic: [1, 2, 3], akName: "000b01", replace: false)
            #expect(first.replaced == nil)
            #expect(throws: FleetAttestError.self) { try inventory.enrol(device: "router", akPublic: [4], akName: "000b02", replace: false) }
            do {
                try inventory.enrol(device: "router", akPublic: [4], akName: "000b02", replace: false)
            } catch let error as FleetAttestError {
                #expect(error.message.contains("000b01") && error.fix?.contains("--replace") == true, "\(error.message)")
            }
            #expect(try inventory.enrolledKey(device: "router")?.akName == "000b01")
            let second = try inventory.enrol(device: "router", akPublic: [4], akName: "000b02", replace: true)
            #expect(second.replaced?.akName == "000b01" && second.replaced?.akPublic == Data([1, 2, 3]))
            #expect(try inventory.enrolledKey(device: "router")?.akName == "000b02")
            #expect(throws: InventoryError.self) { try inventory.enrol(device: "nobody", akPublic: [4], akName: "x", replace: false) }
        }
    }

    @Test func theListingShowsTheLastAttestationAndRemovalTakesTheHistory() throws {
        try withInventory { inventory in
            try inventory.addDevices([Device(name: "a", board: "qemu-x86"), Device(name: "b", board: "qemu-x86")])
            let a = try inventory.device(named: "a").id!
            let start = Date(timeIntervalSince1970: 1_800_000_000)
            func attestation(_ verdict: Attestation.Verdict, _ generation: Int?, _ seconds: Double) -> Attestation {
                Attestation(deviceId: a, time: start.addingTimeInterval(seconds), nonce: "00", verdict: verdict, expectedGeneration: 1, generation: generation,
                            path: generation == nil ? nil : "normal", detail: verdict.rawValue, resetCount: 1, restartCount: 0, akName: "000b01")
            }
            try inventory.recordAttestation(attestation(.matches, 1, 0))
            try inventory.recordAttestation(attestation(.otherGeneration, 2, 20))
            try inventory.recordAttestation(attestation(.mismatch, nil, 10))
            #expect(try inventory.attestations(device: "a").map(\.verdict) == [.matches, .mismatch, .otherGeneration])
            let statuses = try inventory.statuses(generations: FixedGenerations(["qemu-x86": [(1, "s1")]]))
            #expect(statuses.map(\.device) == ["a", "b"])
            #expect(statuses[0].lastAttestation?.verdict == .otherGeneration && statuses[0].lastAttestation?.generation == 2)
            #expect(statuses[0].lastAttestation?.time == "2027-01-15T08:00:20Z")
            #expect(statuses[1].lastAttestation == nil)
            try inventory.removeDevice(named: "a")
            #expect(try inventory.pool.read { db in try Attestation.fetchCount(db) } == 0)
        }
    }
}
