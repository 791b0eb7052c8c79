import Foundation

/// The Intel flash descriptor a board's flash starts with: ownerboot builds only the regions
/// in `writeRegions` (the BIOS region) and keeps the others (descriptor, ME, GbE) as they are
/// on the owner's chip.
public struct DescriptorSpec: Sendable, Codable, Equatable {
    /// ifdtool's short names: "bios" (and, deliberately, others).
    public var writeRegions: [String]
    /// The BIOS region the ROM is built for (coreboot.config's CBFS_SIZE), in the flash.
    public var biosStart: Int
    public var biosLength: Int

    public init(writeRegions: [String], biosStart: Int, biosLength: Int) {
        self.writeRegions = writeRegions
        self.biosStart = biosStart
        self.biosLength = biosLength
    }
}
