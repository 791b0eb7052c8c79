import Foundation

/// One SPI flash chip a board carries.
public struct ChipSpec: Sendable, Codable, Equatable {
    /// flashrom's name for the chip (e.g. "W25Q128.V").
    public var name: String
    public var sizeBytes: Int
    /// The flashrom programmer string that reaches it by default.
    public var programmer: String?
    /// What `--chip` calls it on a board with several ("bottom", "top"); "chip" otherwise.
    public var label: String = "chip"
    /// Other parts the board ships with in its place (flashrom names), probed after `name`.
    public var models: [String] = []
    /// Where the chip's first byte lies in the ROM (the flash address space).
    public var offset: Int = 0
    /// How to reach it with a clip: where it is, its voltage, what to disconnect.
    public var access: String? = nil

    public init(name: String, sizeBytes: Int, programmer: String? = nil, label: String = "chip", models: [String] = [], offset: Int = 0, access: String? = nil) {
        self.name = name
        self.sizeBytes = sizeBytes
        self.programmer = programmer
        self.label = label
        self.models = models
        self.offset = offset
        self.access = access
    }

    /// The chip's range in the ROM.
    public var window: Range<Int> { offset..<(offset + sizeBytes) }
}
