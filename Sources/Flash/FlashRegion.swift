/// A named range of the chip, the unit libflashrom layouts are made of (an FMAP area, or a
/// run of changed erase blocks).
public struct FlashRegion: Sendable, Codable, Hashable {
    public var name: String
    public var range: ByteRange

    public init(name: String, range: ByteRange) {
        self.name = name
        self.range = range
    }

    public init(name: String, start: Int, length: Int) {
        self.init(name: name, range: ByteRange(start: start, length: length))
    }
}
