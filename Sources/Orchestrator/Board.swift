import Foundation

/// A board as its `board.toml` describes it: the flash chip, the write-protect policy and
/// (added by later layers) the layout, components and test scenarios. Plain data.
public struct Board: Sendable, Codable, Equatable {
    public var name: String
    public var description: String
    public var arch: String
    public var chip: ChipSpec
    public var writeProtect: WriteProtectSpec?
    /// The folder holding `board.toml` and the files it names.
    public var directory: URL

    public init(name: String, description: String, arch: String, chip: ChipSpec, writeProtect: WriteProtectSpec?, directory: URL) {
        self.name = name
        self.description = description
        self.arch = arch
        self.chip = chip
        self.writeProtect = writeProtect
        self.directory = directory
    }
}

/// The SPI flash chip a board carries.
public struct ChipSpec: Sendable, Codable, Equatable {
    /// flashrom's name for the chip (e.g. "W25Q128.V").
    public var name: String
    public var sizeBytes: Int
    /// The flashrom programmer string that reaches it by default.
    public var programmer: String?
}

/// Which range of the chip the owner keeps write-protected, and how.
public struct WriteProtectSpec: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case hardware, software, permanent, none
    }
    public var start: Int
    public var length: Int
    public var mode: Mode
}
