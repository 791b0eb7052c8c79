/// Where a CBFS lives in an image: an FMAP area whose bytes begin with a file header, or
/// (for a legacy image without FMAP) the whole image, found through the master header.
public struct CBFSRegionInfo: Codable, Sendable, Equatable {
    /// The FMAP area name; "COREBOOT" for a legacy whole-image CBFS (cbfstool's name for it).
    public var name: String
    public var offset: Int
    public var size: Int
    /// Relative offset of the first file (from a legacy master header), usually 0.
    public var firstFileOffset: Int
    public var alignment: Int
    public var legacy: Bool

    public var range: Range<Int> { offset..<(offset + size) }
}

extension CBFS {
    /// The CBFS regions of `image`, the primary one (COREBOOT) first. With an FMAP: every area
    /// whose first bytes are `LARCHIVE` (when a parent and a child both qualify, the child).
    /// Without one: the whole image (cbfstool's "legacy image composed entirely of a single CBFS").
    public static func regions(in image: [UInt8], fmap: FMAP?) -> [CBFSRegionInfo] {
        scanRegions(in: image, fmap: fmap).regions
    }

    /// At most this many CBFS regions are read from one image (real layouts have one to four).
    public static let maximumRegions = 16

    /// `regions`, plus why qualifying areas were left out. A hostile map can name the same
    /// bytes thousands of times; walking each would be quadratic. So regions never overlap
    /// (smaller areas are taken first, which is how a child wins over its parent), and no more
    /// than `maximumRegions` are read. Linear in the number of areas after one sort.
    static func scanRegions(in image: [UInt8], fmap: FMAP?) -> (regions: [CBFSRegionInfo], skipped: [String]) {
        guard let fmap else {
            return ([legacyRegion(in: image)].compactMap { $0 }, [])
        }
        // An area that shares its start with a smaller one gives way to it (parent and child).
        var smallest: [UInt32: UInt32] = [:]
        for area in fmap.areas { smallest[area.offset] = min(smallest[area.offset] ?? .max, area.size) }
        var candidates: [(index: Int, range: Range<Int>)] = []
        for (index, area) in fmap.areas.enumerated() where smallest[area.offset] == area.size {
            guard let range = try? area.range(inImageOf: image.count), range.count >= headerSize,
                  hasFileMagic(image, at: range.lowerBound) else { continue }
            candidates.append((index, range))
        }
        candidates.sort { ($0.range.count, $0.index) < ($1.range.count, $1.index) }
        var taken: [(index: Int, range: Range<Int>)] = []
        var skipped: [String] = []
        var unnamed = 0  // skipped regions past the first few messages
        for candidate in candidates {
            let name = fmap.areas[candidate.index].name
            var reason: String?
            if let other = taken.first(where: { $0.range.overlaps(candidate.range) }) {
                reason = "CBFS region \(name) overlaps \(fmap.areas[other.index].name); only the smaller one is read"
            } else if taken.count == maximumRegions {
                reason = "CBFS region \(name) is not read: an image has at most \(maximumRegions) CBFS regions"
            } else {
                taken.append(candidate)
            }
            if let reason { if skipped.count < 8 { skipped.append(reason) } else { unnamed += 1 } }
        }
        if unnamed > 0 { skipped.append("\(unnamed) more CBFS regions overlap others or exceed \(maximumRegions) and are not read") }
        var out = taken.sorted { $0.index < $1.index }.map { t in
            CBFSRegionInfo(name: fmap.areas[t.index].name, offset: t.range.lowerBound, size: t.range.count, firstFileOffset: 0, alignment: defaultAlignment, legacy: false)
        }
        if let i = out.firstIndex(where: { $0.name == "COREBOOT" }), i != 0 { out.insert(out.remove(at: i), at: 0) }
        return (out, skipped)
    }

    /// A whole-image CBFS, its first file and alignment taken from the x86 master header
    /// ("ORBC", pointed to by the image's last four bytes) when that is present and sane.
    static func legacyRegion(in image: [UInt8]) -> CBFSRegionInfo? {
        guard image.count >= headerSize else { return nil }
        var first = 0
        var align = defaultAlignment
        let r = ByteReader(image)
        if let rel = try? r.u32le("master header pointer", at: image.count - 4) {
            let signed = Int(Int32(bitPattern: rel))
            let at = signed < 0 ? image.count + signed : signed
            if at >= 0, let magic = try? r.u32be("master header", at: at), magic == 0x4F52_4243,
               let a = try? r.u32be("master header align", at: at + 16),
               let o = try? r.u32be("master header offset", at: at + 20) {
                if a >= 4, a <= 1 << 16, a & (a - 1) == 0 { align = Int(a) }
                if Int(o) < image.count { first = Int(o) }
            }
        }
        guard hasFileMagic(image, at: first) else { return nil }
        return CBFSRegionInfo(name: "COREBOOT", offset: 0, size: image.count, firstFileOffset: first, alignment: align, legacy: true)
    }

    /// Opens the CBFS region `name` (default: the primary one) of an image.
    public static func open(_ image: [UInt8], region name: String? = nil) throws -> CBFS {
        let fmap = FMAP.locate(in: image)?.map
        let regions = regions(in: image, fmap: fmap)
        guard let info = name.map({ n in regions.first { $0.name == n } }) ?? regions.first else {
            throw BootError.notFound(what: "CBFS region\(name.map { " \($0)" } ?? "")")
        }
        return try CBFS(image: image, range: info.range, firstFileOffset: info.firstFileOffset, alignment: info.alignment)
    }

    /// Adds a raw, uncompressed file to a named CBFS region (default: the primary one) of a
    /// whole image, as `cbfstool IMAGE add -r REGION -t raw -n NAME -f FILE` does.
    @discardableResult
    public static func addRaw(to image: inout [UInt8], region name: String? = nil, name fileName: String, data: [UInt8]) throws -> CBFSFile {
        let cbfs = try open(image, region: name)
        return try addRaw(to: &image, region: cbfs.range, name: fileName, data: data, alignment: cbfs.alignment)
    }
}

extension CBFS {
    /// Removes a file from a named CBFS region (default: the primary one), as `cbfstool remove`.
    public static func remove(from image: inout [UInt8], region name: String? = nil, name fileName: String) throws {
        let cbfs = try open(image, region: name)
        try remove(from: &image, region: cbfs.range, name: fileName, alignment: cbfs.alignment)
    }
}
