import Boot
import Foundation
import Support
import Testing
@testable import Orchestrator

/// `fleet enroll` and `fleet attest`'s library layer end to end: real swtpm quotes (as
/// QuoteVerifierTests makes them) judged against ROMs kept in a store, recorded in an inventory.
@Suite(.serialized) struct FleetAttestorTests {
    /// A store holding two generations of board "demo" (their fallback romstages differ, so
    /// their normal paths predict the same values and their fallback paths do not), an
    /// inventory whose "router" landed generation 1.
    struct Fleet {
        let dir: URL
        let store: Store
        let inventory: Inventory
        let attestor: FleetAttestor
        let generation1: [PCRExpectation]
        let generation2: [PCRExpectation]

        init() throws {
            dir = try RepositoryPaths.temporaryDirectory()
            store = try Store(home: dir.appendingPathComponent("home"))
            var sets: [[PCRExpectation]] = []
            for (number, romstage) in [(1, "fallback romstage"), (2, "generation two's romstage")] {
                let rom = try QuoteVerifierTests.rom(dir, romstage: romstage)
                let hash = String(repeating: String(number), count: 64)
                let output = store.path(hash: hash, name: BuildPlan.romComponent)
                try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
                try Data(rom).write(to: output.appendingPathComponent("demo.rom"))
                #expect(try store.recordGeneration(board: "demo", setHash: "set-\(number)", components: [BuildPlan.romComponent: hash], derivations: [hash]) == number)
                sets.append(try PCRExpectation.everyPath(in: rom))
            }
            generation1 = sets[0]
            generation2 = sets[1]
            inventory = try Inventory.open(home: dir.appendingPathComponent("inventory"))
            try inventory.addDevices([Device(name: "router", board: "demo"), Device(name: "spare", board: "demo")])
            try Self.flash(inventory, "router", "set-1", 1)
            attestor = FleetAttestor(inventory: inventory, store: store)
        }

        static func flash(_ inventory: Inventory, _ device: String, _ setHash: String, _ generation: Int) throws {
            try inventory.recordFlash(device: device) {
                FlashEvent(deviceId: $0, generation: generation, setHash: setHash, romHash: "r", readbackHash: "r", chip: "W25Q128.V",
                           programmer: "dummy", outcome: .success, bytesWritten: 1, backupReference: nil, fallbackGeneration: generation)
            }
        }
    }

    static func akPublic(_ device: QuoteVerifierTests.Device) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: device.dir.appendingPathComponent("ak.pub")))
    }

    @Test func aQuoteIsVerifiedRecordedListedAndAnotherGenerationIsFlagged() throws {
        let fleet = try Fleet()
        defer { try? FileManager.default.removeItem(at: fleet.dir) }
        let tpm = try QuoteVerifierTests.Device(fleet.dir.appendingPathComponent("tpm"))
        let nonce = QuoteVerifier.nonce()

        // Not enrolled: nothing to verify with, nothing recorded.
        try tpm.boot(fleet.generation1[1])
        let evidence = try tpm.quote(nonce: nonce)
        #expect(throws: FleetAttestError.notEnrolled(device: "router")) { try fleet.attestor.attest(device: "router", evidence: evidence, nonce: nonce) }
        // A key that is not an AK is refused at enrolment.
        #expect(throws: AttestationKeyError.self) { try fleet.attestor.enrol(device: "router", akPublic: [0, 1, 2]) }
        let enrolled = try fleet.attestor.enrol(device: "router", akPublic: Self.akPublic(tpm))
        #expect(enrolled.enrolled.akName == tpm.key.nameHex && enrolled.replaced == nil)
        #expect(throws: FleetAttestError.self) { try fleet.attestor.enrol(device: "router", akPublic: Self.akPublic(tpm)) }

        // The normal path of generation 1, as the inventory records: a match.
        let first = try fleet.attestor.attest(device: "router", evidence: evidence, nonce: nonce)
        #expect(first.verdict == .matches && first.generation == 1 && first.path == "normal" && first.expectedGeneration == 1, "\(first.detail)")
        #expect(first.nonce == QuoteVerifier.hex(nonce) && first.resetCount != nil && first.akName == tpm.key.nameHex)
        // The same quote again: another nonce was asked for, so it is a replay.
        let replay = try fleet.attestor.attest(device: "router", evidence: evidence, nonce: QuoteVerifier.nonce())
        #expect(replay.verdict == .wrongNonce && replay.generation == nil)

        // Re-flashed behind the inventory's back with generation 2, booting its fallback half
        // (a reboot between): flagged, not updated.
        try tpm.reset()
        try tpm.boot(fleet.generation2[0])
        let nonce2 = QuoteVerifier.nonce()
        let flagged = try fleet.attestor.attest(device: "router", evidence: try tpm.quote(nonce: nonce2), nonce: nonce2)
        #expect(flagged.verdict == .otherGeneration && flagged.generation == 2 && flagged.path == "fallback", "\(flagged.detail)")
        #expect(flagged.detail.contains("attests to generation 2 (fallback path), inventory says 1"), "\(flagged.detail)")
        #expect(flagged.detail.contains("the TPM was reset"), "\(flagged.detail)")
        let status = try fleet.inventory.statuses(generations: FixedGenerations(["demo": [(1, "set-1"), (2, "set-2")]]))[0]
        #expect(status.generationOnChip == 1 && status.lastAttestation?.verdict == .otherGeneration && status.lastAttestation?.generation == 2)
        #expect(try fleet.inventory.attestations(device: "router").map(\.verdict) == [.matches, .wrongNonce, .otherGeneration])

        // Signed by another TPM's key: a bad signature, recorded.
        let other = try QuoteVerifierTests.Device(fleet.dir.appendingPathComponent("other"))
        try other.boot(fleet.generation1[1])
        let nonce3 = QuoteVerifier.nonce()
        #expect(try fleet.attestor.attest(device: "router", evidence: try other.quote(nonce: nonce3), nonce: nonce3).verdict == .badSignature)
        // --replace names what it replaces; then the other TPM's quote matches.
        let replaced = try fleet.attestor.enrol(device: "router", akPublic: Self.akPublic(other), replace: true)
        #expect(replaced.replaced?.akName == tpm.key.nameHex)
        #expect(try fleet.attestor.attest(device: "router", evidence: try other.quote(nonce: nonce3), nonce: nonce3).verdict == .matches)

        // A generation whose ROM the store does not hold, and a device never flashed: thrown, not recorded.
        try Fleet.flash(fleet.inventory, "router", "set-gone", 3)
        do {
            _ = try fleet.attestor.attest(device: "router", evidence: evidence, nonce: nonce)
            Issue.record("a ROM missing from the store was not reported")
        } catch let error as FleetAttestError {
            #expect(error == .romNotInStore(device: "router", board: "demo", generation: 3, setHash: "set-gone"))
            #expect(error.message.contains("not in the store"), "\(error.message)")
        }
        try fleet.attestor.enrol(device: "spare", akPublic: Self.akPublic(tpm))
        #expect(throws: FleetAttestError.neverFlashed(device: "spare")) { try fleet.attestor.attest(device: "spare", evidence: evidence, nonce: nonce) }
        #expect(try fleet.inventory.attestations(device: "router").count == 5)
    }
}
