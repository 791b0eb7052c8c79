/// The Intel flash descriptor (IFD) at the start of an Intel platform's SPI flash: it splits
/// the flash address space into regions (descriptor, BIOS, ME, GbE, platform data) and says
/// how many chips ("components") make up that space and how big each is.
///
/// Read as coreboot's `ifdtool` reads a descriptor without `-p` (version 1, Ibex Peak to
/// Lynx Point: Sandy/Ivy Bridge laptops such as the X230): five regions, 12-bit base and limit
/// fields in 4 KiB units, three-bit component densities. Offsets are in the flash address
/// space (chip 0 first, chip 1 after it). Parsing never traps on bad bytes: it returns
/// `nil` (no signature) or throws `BootError`.
public struct IntelFlashDescriptor: Sendable, Equatable, Codable {
    /// FLVALSIG, at offset 0x10 since Ibex Peak (at 0 on ICH8–ICH10).
    public static let signature: UInt32 = 0x0FF0_A55A
    public static let regionUnit = 4096

    public enum RegionKind: Int, Sendable, Codable, CaseIterable, Comparable {
        case descriptor = 0, bios, me, gbe, platformData

        /// ifdtool's short names, which `--layout` files and flashrom's `--ifd` also use.
        public var shortName: String {
            switch self {
            case .descriptor: return "fd"
            case .bios: return "bios"
            case .me: return "me"
            case .gbe: return "gbe"
            case .platformData: return "pd"
            }
        }

        public var title: String {
            switch self {
            case .descriptor: return "Flash Descriptor"
            case .bios: return "BIOS"
            case .me: return "Intel ME"
            case .gbe: return "GbE"
            case .platformData: return "Platform Data"
            }
        }

        public init?(shortName: String) {
            guard let kind = Self.allCases.first(where: { $0.shortName == shortName }) else { return nil }
            self = kind
        }

        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    /// One used region: `base` to `limit` inclusive, as ifdtool prints them.
    public struct Region: Sendable, Equatable, Codable {
        public var kind: RegionKind
        public var base: Int
        public var limit: Int
        public var size: Int { limit - base + 1 }
        public var end: Int { limit + 1 }

        public init(kind: RegionKind, base: Int, limit: Int) {
            self.kind = kind
            self.base = base
            self.limit = limit
        }
    }

    /// Where FLVALSIG was found.
    public var signatureOffset: Int
    /// Used regions, in region-number order.
    public var regions: [Region]
    /// The size of each flash component (chip) the descriptor declares, chip 0 first.
    public var componentSizes: [Int]

    public func region(_ kind: RegionKind) -> Region? { regions.first { $0.kind == kind } }

    /// The sum of the component sizes: the flash address space the regions live in.
    public var flashSize: Int { componentSizes.reduce(0, +) }

    /// The descriptor at the start of `bytes` (a chip dump or a full image), nil when the
    /// signature is at neither 0x10 nor 0.
    public static func find(in bytes: [UInt8]) throws -> IntelFlashDescriptor? {
        let reader = ByteReader(bytes)
        for offset in [0x10, 0x0] where bytes.count >= offset + 4 {
            if try reader.u32le("flash descriptor signature", at: offset) == signature {
                return try parse(bytes, signatureOffset: offset)
            }
        }
        return nil
    }

    static func parse(_ bytes: [UInt8], signatureOffset: Int) throws -> IntelFlashDescriptor {
        let reader = ByteReader(bytes)
        let flmap0 = try reader.u32le("FLMAP0", at: signatureOffset + 4)
        let componentBase = Int(flmap0 & 0xFF) << 4
        let componentCount = Int((flmap0 >> 8) & 0x3) + 1
        let regionBase = Int((flmap0 >> 16) & 0xFF) << 4
        guard regionBase >= signatureOffset + 8, componentBase >= signatureOffset + 8 else {
            throw BootError.malformed(what: "flash descriptor", offset: signatureOffset + 4, reason: String(format: "FLMAP0 0x%08X points the region or component section into the descriptor map", flmap0))
        }

        let flcomp = try reader.u32le("FLCOMP", at: componentBase)
        var sizes: [Int] = []
        for index in 0..<componentCount {
            let density = Int((flcomp >> (3 * UInt32(index))) & 0x7)
            guard density <= 5 else {
                throw BootError.unsupported(what: "flash descriptor component \(index)", offset: componentBase, reason: "density code \(density) (version 1 knows 0–5: 512 KiB to 16 MiB)")
            }
            sizes.append((512 * 1024) << density)
        }

        var regions: [Region] = []
        for kind in RegionKind.allCases {
            let flreg = try reader.u32le("FLREG\(kind.rawValue)", at: regionBase + 4 * kind.rawValue)
            let base = Int(flreg & 0xFFF) << 12
            let limit = (Int((flreg >> 16) & 0xFFF) << 12) | 0xFFF
            if limit < base { continue }  // unused (ifdtool: size < 1)
            regions.append(Region(kind: kind, base: base, limit: limit))
        }
        guard let descriptorRegion = regions.first(where: { $0.kind == .descriptor }), descriptorRegion.base == 0 else {
            throw BootError.malformed(what: "flash descriptor", offset: regionBase, reason: "FLREG0 does not put the descriptor region at 0")
        }
        let total = sizes.reduce(0, +)
        for region in regions where region.end > total {
            throw BootError.malformed(what: "flash descriptor region \(region.kind.shortName)", offset: regionBase + 4 * region.kind.rawValue,
                                      reason: String(format: "it ends at 0x%X, past the 0x%X bytes of its components", region.end, total))
        }
        return IntelFlashDescriptor(signatureOffset: signatureOffset, regions: regions, componentSizes: sizes)
    }

    /// A 4 KiB version-1 descriptor with these regions and components (the rest 0xFF, as on a
    /// chip): what test fixtures and emulated chips start from. Strap and master sections are
    /// left empty.
    public static func encode(regions: [Region], componentSizes: [Int]) -> [UInt8] {
        precondition((1...2).contains(componentSizes.count), "version 1 describes one or two components")
        var bytes = [UInt8](repeating: 0xFF, count: regionUnit)
        func put(_ value: UInt32, at offset: Int) {
            for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xFF) }
        }
        let componentBase = 0x30, regionBase = 0x40, masterBase = 0x60
        put(signature, at: 0x10)
        put(UInt32(componentBase >> 4) | UInt32(componentSizes.count - 1) << 8 | UInt32(regionBase >> 4) << 16 | 4 << 24, at: 0x14)
        // FLMAP1/2 as a 6/7-series PCH has them (17 PCH straps at 0x100, one processor strap
        // at 0x200), so ifdtool recognises the chipset family.
        put(UInt32(masterBase >> 4) | 3 << 8 | UInt32(0x100 >> 4) << 16 | 17 << 24, at: 0x18)
        put(UInt32(0x200 >> 4) | 1 << 8 | 0x21 << 16, at: 0x1C)
        var flcomp: UInt32 = 0  // read clock 20 MHz (bits 19:17 = 0), as version 1 expects
        for (index, size) in componentSizes.enumerated() {
            precondition(size >= 512 * 1024 && size.nonzeroBitCount == 1 && size <= 16 << 20, "component sizes are 512 KiB to 16 MiB, powers of two")
            flcomp |= UInt32((size / (512 * 1024)).trailingZeroBitCount) << (3 * UInt32(index))
        }
        put(flcomp, at: componentBase)
        put(0, at: componentBase + 4)
        put(0, at: componentBase + 8)
        for kind in RegionKind.allCases {
            if let region = regions.first(where: { $0.kind == kind }) {
                put(UInt32(region.limit >> 12) << 16 | UInt32(region.base >> 12), at: regionBase + 4 * kind.rawValue)
            } else {
                put(0x0000_0FFF, at: regionBase + 4 * kind.rawValue)  // base 0xFFF > limit 0: unused
            }
        }
        // Masters (CPU/BIOS, ME, GbE) may read and write everything: the unlocked descriptor
        // coreboot's guides recommend, so ownerboot's own writes are never locked out.
        for master in 0..<3 { put(0xFFFF_0000, at: masterBase + 4 * master) }
        return bytes
    }
}
