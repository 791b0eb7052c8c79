import Boot
import Support

/// A chip's Intel flash descriptor resolved against an image and a `DescriptorPolicy`: which
/// regions the flash writes, which it keeps, and the bytes to write (the chip's contents with
/// only the written regions taken from the image). Made after the chip is read, before any
/// write; every refusal here leaves the chip untouched.
public struct DescriptorLayout: Sendable, Codable, Equatable {
    /// One descriptor region as it lies on this chip.
    public struct RegionReport: Sendable, Codable, Equatable {
        public var name: String
        public var title: String
        /// On this chip (a region running past the chip's end is cut at it).
        public var range: ByteRange
        /// True: takes the image's bytes. False: keeps the chip's (the owner's).
        public var written: Bool
        /// SHA-256 of the region's bytes on the chip before the flash.
        public var chipSHA256: String
    }

    /// The descriptor the layout follows (the chip's, or the image's when allowed to change).
    public var descriptor: IntelFlashDescriptor
    public var regions: [RegionReport]
    /// The image carries a descriptor of its own (a full image rather than a BIOS region).
    public var imageHasDescriptor: Bool
    /// The image's descriptor differs from the chip's (and the policy allowed writing it).
    public var descriptorReplaced: Bool

    /// The regions as flash layout regions, for the plan.
    public var flashRegions: [FlashRegion] { regions.map { FlashRegion(name: $0.name, range: $0.range) } }

    /// Resolves `policy` for writing `image` over `chip` (both this chip's bytes). Returns the
    /// layout and the bytes to write.
    public static func resolve(image: [UInt8], chip: [UInt8], policy: DescriptorPolicy) throws(FlashError) -> (layout: DescriptorLayout, contents: [UInt8]) {
        precondition(image.count == chip.count, "image and chip sizes differ")
        let onChip: IntelFlashDescriptor
        do {
            guard let found = try IntelFlashDescriptor.find(in: chip) else { throw FlashError.noDescriptorOnChip }
            onChip = found
        } catch let error as FlashError {
            throw error
        } catch {
            throw .descriptorUnreadable(where: "on the chip", reason: (error as? UserFacingError)?.message ?? "\(error)")
        }
        // The chip is the descriptor's first component, or the whole flash seen through the chipset.
        guard chip.count == onChip.componentSizes.first || chip.count == onChip.flashSize else {
            throw .descriptorComponentsMismatch(components: onChip.componentSizes, chipSize: chip.count)
        }

        var inImage: IntelFlashDescriptor?
        do { inImage = try IntelFlashDescriptor.find(in: image) } catch {
            throw .descriptorUnreadable(where: "in the image", reason: (error as? UserFacingError)?.message ?? "\(error)")
        }
        var replaced = false
        var effective = onChip
        var written = Set(policy.writtenRegions)
        if let inImage, let fd = onChip.region(.descriptor) {
            let end = min(fd.end, chip.count)
            if image[0..<end] != chip[0..<end] {
                guard policy.allowDescriptorChange else {
                    throw .descriptorMismatch(differences: differences(chip: onChip, image: inImage))
                }
                replaced = true
                effective = inImage
                written.insert(.descriptor)
                // A region the new descriptor moves cannot keep the chip's bytes: the image must carry it.
                for region in inImage.regions where !written.contains(region.kind) && onChip.region(region.kind) != region {
                    let r = clip(region, to: chip.count)
                    guard !r.isEmpty, image[r.start..<r.end].contains(where: { $0 != 0xFF }) else {
                        throw .descriptorMovesRegion(name: region.kind.shortName)
                    }
                    written.insert(region.kind)
                }
            }
        }
        guard let bios = effective.region(.bios) else { throw .descriptorUnreadable(where: "on the chip", reason: "it defines no BIOS region") }
        if let expected = policy.imageBIOSRegion, expected != ByteRange(start: bios.base, length: bios.size) {
            throw .biosRegionMismatch(descriptor: ByteRange(start: bios.base, length: bios.size), image: expected)
        }

        var contents = chip
        var reports: [RegionReport] = []
        for region in effective.regions {
            let range = clip(region, to: chip.count)
            if range.isEmpty { continue }  // lies on the other chip
            let takesImage = written.contains(region.kind)
            if takesImage { contents.replaceSubrange(range.start..<range.end, with: image[range.start..<range.end]) }
            reports.append(RegionReport(
                name: region.kind.shortName, title: region.kind.title, range: range, written: takesImage,
                chipSHA256: SHA256Digest.hex(Array(chip[range.start..<range.end]))))
        }
        return (DescriptorLayout(descriptor: effective, regions: reports, imageHasDescriptor: inImage != nil, descriptorReplaced: replaced), contents)
    }

    static func clip(_ region: IntelFlashDescriptor.Region, to size: Int) -> ByteRange {
        ByteRange(start: region.base, length: max(0, min(region.end, size) - region.base))
    }

    /// What differs between two descriptors, for the refusal message.
    static func differences(chip: IntelFlashDescriptor, image: IntelFlashDescriptor) -> [String] {
        var lines: [String] = []
        for kind in IntelFlashDescriptor.RegionKind.allCases {
            let a = chip.region(kind), b = image.region(kind)
            if a != b {
                func show(_ r: IntelFlashDescriptor.Region?) -> String { r.map { ByteRange(start: $0.base, length: $0.size).description } ?? "unused" }
                lines.append("\(kind.shortName): chip \(show(a)), image \(show(b))")
            }
        }
        if chip.componentSizes != image.componentSizes {
            lines.append("components: chip \(chip.componentSizes.map(ByteSize.format)), image \(image.componentSizes.map(ByteSize.format))")
        }
        if lines.isEmpty { lines.append("same regions, different bytes (straps, master access or OEM section)") }
        return lines
    }
}
