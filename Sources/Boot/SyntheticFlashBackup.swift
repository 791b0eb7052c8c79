/// A made-up chip dump in the shape of an Intel laptop owner's backup — a version-1 flash
/// descriptor, a GbE region starting with a MAC address, an ME region starting with an `$FPT`
/// partition table, and a vendor BIOS region — filled with deterministic pseudo-random bytes.
/// It carries none of a real machine's content. Tests and `ownerboot flash --dry-run`
/// rehearsals load it into an emulated chip so the descriptor-aware flash can be shown to
/// leave every owner's region byte-identical.
public struct SyntheticFlashBackup: Sendable {
    public var descriptor: IntelFlashDescriptor
    public var bytes: [UInt8]

    /// The stock X230 layout: 8 MiB + 4 MiB; fd 0x0–0xFFF, GbE 0x1000–0x2FFF,
    /// ME 0x3000–0x4FFFFF, BIOS 0x500000–0xBFFFFF.
    public static func x230(seed: UInt64 = 230) -> SyntheticFlashBackup {
        make(regions: [
            .init(kind: .descriptor, base: 0, limit: 0xFFF),
            .init(kind: .bios, base: 0x500000, limit: 0xBFFFFF),
            .init(kind: .me, base: 0x3000, limit: 0x4FFFFF),
            .init(kind: .gbe, base: 0x1000, limit: 0x2FFF),
        ], componentSizes: [8 << 20, 4 << 20], seed: seed)
    }

    public static func make(regions: [IntelFlashDescriptor.Region], componentSizes: [Int], seed: UInt64) -> SyntheticFlashBackup {
        let fd = IntelFlashDescriptor.encode(regions: regions, componentSizes: componentSizes)
        var bytes = [UInt8](repeating: 0xFF, count: componentSizes.reduce(0, +))
        bytes.replaceSubrange(0..<fd.count, with: fd)
        for region in regions where region.kind != .descriptor {
            // Regions are rarely full: fill the first three quarters, leave the rest erased.
            let used = region.size / 4 * 3
            bytes.replaceSubrange(region.base..<(region.base + used), with: pattern(seed: seed &+ UInt64(region.kind.rawValue), count: used))
            switch region.kind {
            case .gbe: bytes.replaceSubrange(region.base..<(region.base + 6), with: [0x00, 0x21, 0xCC, 0x5E, 0x23, 0x0F])
            case .me: bytes.replaceSubrange((region.base + 0x10)..<(region.base + 0x14), with: Array("$FPT".utf8))
            default: break
            }
        }
        guard let parsed = (try? IntelFlashDescriptor.find(in: bytes)) ?? nil else { preconditionFailure("the encoder wrote a descriptor its parser rejects") }
        return SyntheticFlashBackup(descriptor: parsed, bytes: bytes)
    }

    /// Deterministic, non-repeating bytes (xorshift64, little-endian words): every erase block
    /// differs from every other. Tests fill emulated chips with it too.
    public static func pattern(seed: UInt64, count: Int) -> [UInt8] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            var word = state
            for j in 0..<min(8, count - i) { out[i + j] = UInt8(truncatingIfNeeded: word); word >>= 8 }
            i += 8
        }
        return out
    }
}
