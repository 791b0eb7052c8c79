/// Where a device stands against what ownerboot built for its board.
public struct FleetStatus: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        /// The last successful flash wrote the board's latest generation.
        case current
        /// A successful flash wrote an older generation than the latest built.
        case outdated
        /// The chip holds something ownerboot did not build (or cannot place).
        case unknownFirmware = "unknown firmware"
        case neverFlashed = "never flashed"
    }
    public var device: String
    public var board: String
    public var generationOnChip: Int?
    public var latestGeneration: Int?
    public var lastFlashed: String?
    public var state: State
    /// The generation in the chip's write-protected (fallback) half after its last
    /// successful flash; nil for a single-CBFS ROM or a flash recorded before inventory v3.
    public var fallbackGenerationOnChip: Int? = nil
}
