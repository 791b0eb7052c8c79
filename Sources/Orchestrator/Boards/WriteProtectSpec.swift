import Foundation

/// Which range of the chip the owner keeps write-protected, and how.
public struct WriteProtectSpec: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case hardware, software, permanent, none
    }
    public var start: Int
    public var length: Int
    public var mode: Mode
    /// The generation whose ROM supplies the protected half (the fallback set) of every ROM
    /// built for the board: a new build then changes only the writable half. nil: each ROM
    /// carries its own generation in both halves (the first install, or `promote`).
    public var fallbackGeneration: Int? = nil
}
