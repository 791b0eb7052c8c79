import Foundation
@testable import Orchestrator
import Testing
@testable import OwnerbootCLI

/// The JSON `fleet list --json`, `fleet show --json` and `fleet attest --json` print about
/// attestations: the keys a script reads.
struct FleetAttestationJSONTests {
    func object(_ data: Data) throws -> Any { try JSONSerialization.jsonObject(with: data) }

    @Test func listAndShowCarryTheAttestations() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-json-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let inventory = try Inventory.open(home: dir)
        try inventory.addDevices([Device(name: "router", board: "qemu-x86"), Device(name: "spare", board: "qemu-x86")])
        let id = try inventory.device(named: "router").id!
        try inventory.enrol(device: "router", akPublic: [1], akName: "000bff", replace: false)
        let attestation = try inventory.recordAttestation(Attestation(
            deviceId: id, time: Date(timeIntervalSince1970: 1_800_000_000), nonce: "ab", verdict: .otherGeneration, expectedGeneration: 3,
            generation: 4, path: "normal", detail: "attests to generation 4 (normal path), inventory says 3", resetCount: 2, restartCount: 0, akName: "000bff"))

        let list = try #require(try object(JSONOutput.data(try inventory.statuses(generations: FixedGenerations([:])))) as? [[String: Any]])
        let last = try #require(list[0]["lastAttestation"] as? [String: Any])
        #expect(Set(last.keys) == ["time", "verdict", "generation", "path", "detail"])
        #expect(last["time"] as? String == "2027-01-15T08:00:00Z" && last["verdict"] as? String == "otherGeneration" && last["generation"] as? Int == 4)
        #expect(list[1]["lastAttestation"] == nil)

        let history = try inventory.history(device: "router")
        let show = FleetCommand.Show.Output(device: history.device, flashes: [], readbacks: [], pcrs: nil,
                                            attestationKey: .init(akName: "000bff", enrolledAt: Date()), attestations: [attestation])
        let shown = try #require(try object(JSONOutput.data(show)) as? [String: Any])
        #expect((shown["attestationKey"] as? [String: Any])?["akName"] as? String == "000bff")
        let recorded = try #require((shown["attestations"] as? [[String: Any]])?.first)
        #expect(Set(recorded.keys) == ["id", "deviceId", "time", "nonce", "verdict", "expectedGeneration", "generation", "path", "detail",
                                       "resetCount", "restartCount", "akName"])
        #expect(recorded["nonce"] as? String == "ab" && recorded["resetCount"] as? Int == 2)
    }

    @Test func theNonceIsHexOrRefused() {
        #expect(FleetCommand.Attest.hexBytes("00ff10") == [0, 255, 16])
        #expect(FleetCommand.Attest.hexBytes("0x0a") == [10])
        #expect(FleetCommand.Attest.hexBytes("abc") == nil)
        #expect(FleetCommand.Attest.hexBytes("+f") == nil)
    }
}
