/// A step of a flash, reported as it starts and ends. libflashrom 1.3 has no progress
/// callback, so progress is per phase; the CLI draws it.
public struct FlashProgress: Sendable, Equatable {
    public enum Phase: String, Sendable, Codable, CaseIterable {
        case probe, checkImage = "check-image", readWriteProtect = "read-wp", read, plan, backup
        case write, verify, retry, restore, applyWriteProtect = "apply-wp"
    }

    public var phase: Phase
    /// false when the phase starts, true when it ends.
    public var finished: Bool
    /// Bytes the phase moves (read/write/verify), if known.
    public var bytes: Int?
    public var seconds: Double?
}
