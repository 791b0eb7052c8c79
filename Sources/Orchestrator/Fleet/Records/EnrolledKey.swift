import Foundation
import GRDB

/// A device's attestation key as enrolment recorded it: the `TPM2B_PUBLIC` bytes
/// (`tpm2_createak -u`) and its TPM name. One per device; enrolling again replaces it.
/// Not yet tied to the device's EK by credential activation (a later session adds it).
public struct EnrolledKey: Codable, Sendable, Equatable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "attestationKey"
    public var id: Int64?
    public var deviceId: Int64
    public var akPublic: Data
    /// `0x000B ‖ SHA-256(TPMT_PUBLIC)`, lowercase hex (as `tpm2_createak -n` writes it, in binary).
    public var akName: String
    public var enrolledAt: Date

    public init(id: Int64? = nil, deviceId: Int64, akPublic: Data, akName: String, enrolledAt: Date = Date()) {
        self.id = id
        self.deviceId = deviceId
        self.akPublic = akPublic
        self.akName = akName
        self.enrolledAt = enrolledAt
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
