import Foundation

/// Which range of the chip the owner keeps write-protected, and how.
public struct WriteProtectSpec: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case hardware, software, permanent, none
    }
    public var start: Int
    public var length: Int
    public var mode: Mode
}
