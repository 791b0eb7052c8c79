import Foundation
import Support

/// What a recorded generation needs to stay rebuildable: its derivations (as the generation
/// record lists them), its board snapshot, and every .deb and source the snapshot's lock pins.
/// `store gc` keeps all of it; `export` packs the fixed-output part of it.
public enum GenerationInputs {
    /// The lock a generation was built with, read from its board snapshot (nil when the record
    /// has no snapshot or the snapshot was collected).
    public static func lock(of generation: Store.Generation, store: Store) throws -> LockFile? {
        guard let snapshot = generation.boardSnapshot else { return nil }
        let url = store.root.appendingPathComponent(snapshot).appendingPathComponent(generation.board).appendingPathComponent("ownerboot.lock")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try LockFile.read(url)
    }

    /// The store entries a lock pins: Debian's archive metadata, each .deb (when pinned by
    /// hash), then each source.
    public static func pinnedEntries(of lock: LockFile) -> [Derivation] {
        lock.archives.map(\.derivation) + lock.allPackages.compactMap(\.derivation) + lock.sources.keys.sorted().compactMap(lock.sourceDerivation)
    }

    /// Every derivation hash some recorded generation needs.
    public static func live(in store: Store) throws -> Set<String> {
        var live: Set<String> = []
        for generation in try store.allGenerations() {
            live.formUnion(generation.derivations)
            if let lock = try lock(of: generation, store: store) {
                live.formUnion(pinnedEntries(of: lock).map(\.hash))
            }
        }
        return live
    }

    /// `store gc` that keeps what every generation needs to be rebuilt.
    public static func collectGarbage(_ store: Store) throws -> (removed: [String], freedBytes: Int64) {
        try store.collectGarbage(keeping: try live(in: store))
    }
}
