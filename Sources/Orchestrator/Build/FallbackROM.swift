import Foundation

/// An earlier ROM of a board whose write-protected half (FMAP, bootblock, the fallback set and
/// its manifest) a new ROM keeps byte for byte: the ROM builder sees its folder as
/// `/inputs/fallback`, and its derivation hash is part of the new ROM's, so a different
/// fallback is a different ROM (but the same generation of the normal set).
public struct FallbackROM: Sendable, Equatable {
    /// The earlier ROM derivation's hash.
    public var derivationHash: String
    /// Its output folder in the store (holding `<board>.rom`).
    public var directory: URL

    public init(derivationHash: String, directory: URL) {
        self.derivationHash = derivationHash
        self.directory = directory
    }

    /// The ROM output folder `directory` (named `<hash>-rom` in the store).
    public init?(storeDirectory directory: URL) {
        let name = directory.lastPathComponent
        guard let dash = name.firstIndex(of: "-"), name[dash...] == "-\(BuildPlan.romComponent)" else { return nil }
        self.init(derivationHash: String(name[..<dash]), directory: directory)
    }
}
