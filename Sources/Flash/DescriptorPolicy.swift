import Boot

/// How to flash a chip that holds an Intel flash descriptor (the 8 MiB chip of an X230, or
/// the whole flash seen through the chipset): the layout comes from the descriptor on the
/// chip, never from the image, and only `writtenRegions` take the image's bytes. The
/// descriptor, ME and GbE regions are the owner's and stay byte-identical.
public struct DescriptorPolicy: Sendable, Codable, Equatable {
    /// The regions ownerboot builds and writes (normally just the BIOS region).
    public var writtenRegions: [IntelFlashDescriptor.RegionKind]
    /// Where the image's BIOS region is (its FMAP "BIOS" area), in the descriptor's flash
    /// address space. The chip's descriptor must put its BIOS region exactly there: a ROM laid
    /// out for another BIOS region would not boot. nil leaves this unchecked.
    public var imageBIOSRegion: ByteRange?
    /// Write the image's descriptor when it differs from the chip's (and every region it
    /// moves, which the image must then carry). Off: such an image is refused.
    public var allowDescriptorChange: Bool

    public init(writtenRegions: [IntelFlashDescriptor.RegionKind] = [.bios], imageBIOSRegion: ByteRange? = nil, allowDescriptorChange: Bool = false) {
        self.writtenRegions = writtenRegions
        self.imageBIOSRegion = imageBIOSRegion
        self.allowDescriptorChange = allowDescriptorChange
    }
}
