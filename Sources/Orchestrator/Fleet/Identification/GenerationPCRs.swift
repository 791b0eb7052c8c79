import Boot
import Foundation

/// The PCRs a recorded generation's ROM produces under coreboot's measured boot, per boot
/// path, predicted from the ROM the store keeps for it: what `ownerboot generations --json`
/// shows next to the set hash, so an owner can seal to generation N+1 before flashing it.
public enum GenerationPCRs {
    /// nil when the generation's ROM is gone from the store or is not a coreboot ROM.
    public static func of(_ generation: Store.Generation, store: Store) -> [PCRPrediction]? {
        guard let hash = generation.components[BuildPlan.romComponent] else { return nil }
        let rom = store.path(hash: hash, name: BuildPlan.romComponent).appendingPathComponent("\(generation.board).rom")
        guard let data = FileManager.default.contents(atPath: rom.path) else { return nil }
        let image = [UInt8](data)
        let paths = PCRPrediction.bootPaths(in: image)
        guard !paths.isEmpty else { return nil }
        return try? paths.map { try PCRPrediction.predict(image: image, path: $0) }
    }
}
