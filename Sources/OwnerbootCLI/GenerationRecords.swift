import Orchestrator

/// The generations the fleet compares against. Until the store records generations this is
/// empty, so every flashed device shows as "unknown firmware" rather than a guess.
enum GenerationRecords {
    static func lookup() throws -> GenerationLookup {
        FixedGenerations()
    }
}
