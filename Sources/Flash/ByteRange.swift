import Support

/// A half-open range of chip addresses `[start, start + length)`, printed in hex the way
/// flashrom and datasheets write them.
public struct ByteRange: Sendable, Codable, Hashable, CustomStringConvertible {
    public var start: Int
    public var length: Int

    public init(start: Int, length: Int) {
        self.start = start
        self.length = length
    }

    public var end: Int { start + length }
    public var isEmpty: Bool { length <= 0 }

    public func overlaps(_ other: ByteRange) -> Bool {
        !isEmpty && !other.isEmpty && start < other.end && other.start < end
    }

    public func contains(_ other: ByteRange) -> Bool {
        other.start >= start && other.end <= end
    }

    /// `0x00c00000-0x00ffffff (4 MiB)`: inclusive end, as flashrom layouts are written.
    public var description: String {
        if isEmpty { return "none" }
        return "\(Self.hex(start))-\(Self.hex(end - 1)) (\(ByteSize.format(length)))"
    }

    static func hex(_ value: Int) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}

