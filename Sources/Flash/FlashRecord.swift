import Foundation

/// What a flash did, for the summary and the inventory: the chip, the hashes (image, what the
/// chip should hold, what it does hold), the backup, counts and time per phase.
public struct FlashRecord: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        /// Dry run: nothing written; `plan` says what would be.
        case planned
        /// The chip already held the image.
        case unchanged
        /// Every change written and verified.
        case written
        /// The unprotected regions written and verified; protected ones left as they were.
        case writtenUnprotectedRegions = "written-unprotected-regions"
    }

    public var time: Date
    public var chip: ProbedChip
    public var programmer: String
    public var imagePath: String
    public var imageHash: String
    /// What the chip must hold afterwards (the image, or the image outside skipped regions).
    public var expectedHash: String
    /// What the chip held after the flash (nil for a dry run).
    public var readbackHash: String?
    public var backupPath: String?
    public var backupHash: String?
    public var bytesChanged: Int?
    public var blocksWritten: Int
    public var bytesWritten: Int
    public var regionsSkipped: [String]
    public var writeAttempts: Int
    public var writeProtectBefore: WriteProtectState?
    public var writeProtectAfter: WriteProtectState?
    /// Whether the policy's protection reads back from the chip (nil: no policy to apply).
    public var writeProtectConfirmed: Bool?
    public var outcome: Outcome
    public var plan: FlashPlan
    /// For a chip with an Intel flash descriptor: its regions, which were written, which kept.
    public var descriptor: DescriptorLayout?
    /// Seconds per phase (`FlashProgress.Phase` raw values), and "total".
    public var durations: [String: Double]
    public var warnings: [String]
}
