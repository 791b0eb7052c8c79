/// A chip libflashrom found: its vendor, flashrom's name for it, and its size.
public struct ProbedChip: Sendable, Codable, Hashable {
    public var vendor: String
    public var name: String
    public var sizeBytes: Int

    public init(vendor: String, name: String, sizeBytes: Int) {
        self.vendor = vendor
        self.name = name
        self.sizeBytes = sizeBytes
    }
}
