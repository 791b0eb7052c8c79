import Boot
import Foundation

/// `fleet enroll` and `fleet attest` without the transport: the AK a device's TPM made, and a
/// quote it answered (the files `tpm2_quote` writes), judged with `QuoteVerifier` against the
/// prediction for the generation the inventory records for the device, then recorded.
/// Enrolment records the AK as given: it is not yet tied to the device's EK by credential
/// activation, so it is only as trustworthy as the way its public part reached the owner.
public struct FleetAttestor: Sendable {
    /// One recorded generation of a board; `rom` reads its ROM from the store (nil when gone).
    public struct GenerationROM: Sendable {
        public var number: Int
        public var setHash: String
        public var rom: @Sendable () -> [UInt8]?

        public init(number: Int, setHash: String, rom: @escaping @Sendable () -> [UInt8]?) {
            self.number = number
            self.setHash = setHash
            self.rom = rom
        }
    }

    public let inventory: Inventory
    /// A board's recorded generations, newest first.
    public let generations: @Sendable (String) throws -> [GenerationROM]

    public init(inventory: Inventory, generations: @escaping @Sendable (String) throws -> [GenerationROM]) {
        self.inventory = inventory
        self.generations = generations
    }

    /// The generations `store` recorded, each ROM read from its `rom` output.
    public init(inventory: Inventory, store: Store) {
        self.init(inventory: inventory) { board in
            try store.generations(board: board).sorted { $0.number > $1.number }.map { generation in
                let rom = generation.components[BuildPlan.romComponent].map {
                    store.path(hash: $0, name: BuildPlan.romComponent).appendingPathComponent("\(board).rom").path
                }
                return GenerationROM(number: generation.number, setHash: generation.setHash) {
                    rom.flatMap { FileManager.default.contents(atPath: $0) }.map { [UInt8]($0) }
                }
            }
        }
    }

    /// Records `akPublic` (a `TPM2B_PUBLIC`, `tpm2_createak -u`) as `device`'s AK after checking
    /// it is one (`AttestationKey`); refuses a second enrolment unless `replace`.
    @discardableResult
    public func enrol(device: String, akPublic: [UInt8], replace: Bool = false) throws -> (enrolled: EnrolledKey, replaced: EnrolledKey?) {
        let key = try AttestationKey(tpm2bPublic: akPublic)
        return try inventory.enrol(device: device, akPublic: akPublic, akName: key.nameHex, replace: replace)
    }

    /// Judges `evidence` (answering `nonce`) and records the attestation. Throws, recording
    /// nothing, when there is nothing to judge it with: no enrolled key, no recorded flash, the
    /// recorded generation's ROM not in the store.
    public func attest(device: String, evidence: QuoteEvidence, nonce: [UInt8], at time: Date = Date()) throws -> Attestation {
        guard let enrolled = try inventory.enrolledKey(device: device) else { throw FleetAttestError.notEnrolled(device: device) }
        let key = try AttestationKey(tpm2bPublic: [UInt8](enrolled.akPublic))
        let record = try inventory.device(named: device)
        guard let landed = try inventory.landed(device: device) else { throw FleetAttestError.neverFlashed(device: device) }
        let all = try generations(record.board)
        guard let recorded = all.first(where: { $0.setHash == landed.setHash }), let rom = recorded.rom() else {
            throw FleetAttestError.romNotInStore(device: device, board: record.board, generation: landed.generation, setHash: landed.setHash)
        }
        let expectations: [PCRExpectation]
        do { expectations = try PCRExpectation.everyPath(in: rom) } catch {
            throw FleetAttestError.noPrediction(device: device, board: record.board, generation: recorded.number, reason: "\(error)")
        }
        guard !expectations.isEmpty else {
            throw FleetAttestError.noPrediction(device: device, board: record.board, generation: recorded.number, reason: "its ROM has no coreboot boot path")
        }
        let expectedPath = expectations.contains { $0.path == "normal" } ? "normal" : expectations[0].path
        let result = QuoteVerifier(key: key, expectations: expectations).verify(evidence, nonce: nonce, expectedPath: expectedPath)

        var verdict: Attestation.Verdict
        var generation: Int? = nil
        var path: String? = nil
        var detail = result.verdict.summary
        switch result.verdict {
        case .matches(let found):
            verdict = .matches
            generation = recorded.number
            path = found
            if found != expectedPath { detail += "; the inventory expects the \(expectedPath) path" }
        case .mismatch:
            verdict = .mismatch
            // Another generation of the board the store can predict: flagged, not recorded as on the chip.
            for other in all where other.setHash != recorded.setHash {
                guard let otherROM = other.rom(), let otherExpectations = try? PCRExpectation.everyPath(in: otherROM), !otherExpectations.isEmpty,
                      case .matches(let found) = QuoteVerifier(key: key, expectations: otherExpectations).verify(evidence, nonce: nonce, expectedPath: expectedPath).verdict
                else { continue }
                generation = other.number
                path = found
                if found == "fallback", other.number == landed.fallbackGeneration {
                    // Only the normal half was written: the fallback half is the older generation the inventory records.
                    verdict = .matches
                    detail = "matches the prediction (fallback path of generation \(other.number), the chip's fallback half); the inventory expects the \(expectedPath) path of generation \(recorded.number)"
                } else {
                    verdict = .otherGeneration
                    detail = "attests to generation \(other.number) (\(found) path), inventory says \(recorded.number)"
                }
                break
            }
        case .badSignature: verdict = .badSignature
        case .wrongNonce: verdict = .wrongNonce
        case .notAQuote: verdict = .notAQuote
        case .valuesNotQuoted: verdict = .valuesNotQuoted
        case .selectionMissing: verdict = .selectionMissing
        }
        if let clock = result.clockInfo,
           let previous = try inventory.attestations(device: device).last(where: { $0.akName == enrolled.akName && $0.resetCount != nil }) {
            if previous.resetCount != Int(clock.resetCount) {
                detail += "; the TPM was reset (a reboot) since the last attestation (resetCount \(previous.resetCount!) -> \(clock.resetCount))"
            } else if previous.restartCount != Int(clock.restartCount) {
                detail += "; the TPM resumed from suspend since the last attestation (restartCount \(previous.restartCount ?? 0) -> \(clock.restartCount))"
            }
        }
        return try inventory.recordAttestation(Attestation(
            deviceId: record.id!, time: time, nonce: QuoteVerifier.hex(nonce), verdict: verdict, expectedGeneration: recorded.number,
            generation: generation, path: path, detail: detail,
            resetCount: result.clockInfo.map { Int($0.resetCount) }, restartCount: result.clockInfo.map { Int($0.restartCount) },
            akName: enrolled.akName))
    }
}
