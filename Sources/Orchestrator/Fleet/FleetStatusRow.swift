/// One device of `Inventory.forEachStatus`'s listing. `device` and `lastFlashed` point into
/// SQLite's current row and are valid only inside the callback: copy them to keep them.
public struct FleetStatusRow {
    /// The device's name, UTF-8.
    public var device: UnsafeRawBufferPointer
    public var board: String
    public var generationOnChip: Int?
    public var latestGeneration: Int?
    /// ISO 8601 (UTC, whole seconds), UTF-8; nil when never flashed.
    public var lastFlashed: UnsafeRawBufferPointer?
    public var state: FleetStatus.State
    public var fallbackGenerationOnChip: Int?
    /// The last attestation; nil when the device never attested.
    public var lastAttestation: FleetStatus.LastAttestation? = nil
}
