import Foundation

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
    /// The device's last attestation (`fleet attest`); nil when it never attested.
    public var lastAttestation: LastAttestation? = nil

    /// What the last quote showed: the generation and boot path it matched (nil when none),
    /// the verdict (`otherGeneration` is the flag: not the generation the inventory records).
    public struct LastAttestation: Codable, Sendable, Equatable {
        public var time: String
        public var verdict: Attestation.Verdict
        public var generation: Int?
        public var path: String?
        public var detail: String

        public init(_ a: Attestation) {
            time = ISO8601DateFormatter().string(from: a.time)
            verdict = a.verdict
            generation = a.generation
            path = a.path
            detail = a.detail
        }
    }
}
