import Foundation
import GRDB

/// One quote a device answered, as `fleet attest` judged it: what it was checked against, the
/// verdict and what the quote showed. Kept for every attempt, matching or not (`fleet show`).
public struct Attestation: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "attestation"
    /// The verdict's kind: `QuoteVerdict`'s cases, plus `otherGeneration` (the quote matches a
    /// generation of the board other than the one the inventory records: flagged, the inventory
    /// is not updated).
    public enum Verdict: String, Codable, Sendable, DatabaseValueConvertible {
        case matches, otherGeneration, mismatch, badSignature, wrongNonce, notAQuote, valuesNotQuoted, selectionMissing
    }
    public var id: Int64?
    public var deviceId: Int64
    public var time: Date
    /// The verifier's nonce, lowercase hex.
    public var nonce: String
    public var verdict: Verdict
    /// The generation the inventory records for the device (its last landed flash), checked against.
    public var expectedGeneration: Int?
    /// The generation and boot path ("fallback"/"normal") the quote matched; nil when it matched none.
    public var generation: Int?
    public var path: String?
    /// One line for a person: the verdict's summary, the flag, a reset since the last attestation.
    public var detail: String
    /// The quote's clock info; nil when the quote was not read (bad signature, not a quote).
    public var resetCount: Int?
    public var restartCount: Int?
    /// The AK that verified it (its TPM name, hex).
    public var akName: String

    public init(id: Int64? = nil, deviceId: Int64, time: Date = Date(), nonce: String, verdict: Verdict, expectedGeneration: Int?,
                generation: Int?, path: String?, detail: String, resetCount: Int?, restartCount: Int?, akName: String) {
        self.id = id
        self.deviceId = deviceId
        self.time = time
        self.nonce = nonce
        self.verdict = verdict
        self.expectedGeneration = expectedGeneration
        self.generation = generation
        self.path = path
        self.detail = detail
        self.resetCount = resetCount
        self.restartCount = restartCount
        self.akName = akName
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
