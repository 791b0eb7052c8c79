import Boot
import Foundation

/// Which generation each half of a generation's ROM carries, read from the ROM's own manifests
/// in the store: the normal (writable) half is the generation itself, the protected half the
/// fallback it was built on (`[write_protect] fallback_generation`, or itself). nil values
/// when the ROM is no longer in the store or carries no manifest there.
public struct ROMHalves: Sendable, Equatable, Codable {
    /// The writable half's generation (nil on a single-CBFS ROM).
    public var normal: Int?
    /// The protected half's generation (a single-CBFS ROM's one manifest).
    public var fallback: Int?

    public init(normal: Int?, fallback: Int?) {
        self.normal = normal
        self.fallback = fallback
    }

    /// Reads `generation`'s ROM from `store`; nil when it is not there or unreadable.
    public static func of(_ generation: Store.Generation, store: Store) -> ROMHalves? {
        guard let hash = generation.components[BuildPlan.romComponent] else { return nil }
        let rom = store.path(hash: hash, name: BuildPlan.romComponent).appendingPathComponent("\(generation.board).rom")
        guard let data = FileManager.default.contents(atPath: rom.path),
              let halves = try? OwnerbootManifest.readHalves(fromImage: Array(data)) else { return nil }
        return ROMHalves(normal: halves.normal?.generation, fallback: halves.fallback?.generation)
    }

    /// `normal N, fallback M` (or `single CBFS, generation M`).
    public var summary: String {
        if let normal { return "normal \(normal), fallback \(fallback.map(String.init) ?? "?")" }
        return "single CBFS" + (fallback.map { ", generation \($0)" } ?? "")
    }
}
