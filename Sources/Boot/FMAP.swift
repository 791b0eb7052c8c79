import Foundation

/// coreboot's flash map (`__FMAP__`, version 1.1): the named areas of a flash image.
///
/// Parsing never trusts the image: every read is bounds-checked and a damaged map throws a
/// `BootError` naming the offset. `serialize()` produces the exact bytes `fmaptool` writes, so a
/// map built here (or from an `.fmd` with `FlashMapDescriptor`) is accepted by `cbfstool`.
public struct FMAP: Codable, Sendable, Equatable {
    public static let signature: [UInt8] = Array("__FMAP__".utf8)
    public static let headerSize = 56
    public static let areaSize = 42

    public var versionMajor: UInt8 = 1
    public var versionMinor: UInt8 = 1
    /// Address of the flash chip in the host's address space (e.g. 0xff000000); informational.
    public var base: UInt64
    /// Size of the flash the map describes.
    public var size: UInt32
    public var name: String
    public var areas: [FMAPArea]

    public init(base: UInt64 = 0, size: UInt32, name: String = "FLASH", areas: [FMAPArea]) {
        self.base = base
        self.size = size
        self.name = name
        self.areas = areas
    }

    /// The serialized size: header plus one record per area.
    public var byteCount: Int { Self.headerSize + Self.areaSize * areas.count }

    public func area(named name: String) -> FMAPArea? { areas.first { $0.name == name } }

    /// The bytes of this map, as `fmaptool` writes them (little-endian, NUL-padded names).
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(byteCount)
        out += Self.signature
        out.append(versionMajor)
        out.append(versionMinor)
        out.appendLE(base)
        out.appendLE(size)
        out.appendFixedString(name, size: 32)
        out.appendLE(UInt16(truncatingIfNeeded: areas.count))
        for area in areas {
            out.appendLE(area.offset)
            out.appendLE(area.size)
            out.appendFixedString(area.name, size: 32)
            out.appendLE(area.flags.rawValue)
        }
        return out
    }

    /// Parses the map whose signature is at `offset` of `image`.
    public static func parse(_ image: [UInt8], at offset: Int) throws -> FMAP {
        let r = ByteReader(image)
        let sig = try r.slice("FMAP header", at: offset, count: 8)
        guard Array(sig) == signature else {
            throw BootError.badMagic(what: "FMAP", offset: offset, found: String(decoding: sig, as: UTF8.self))
        }
        try r.require("FMAP header", at: offset, count: headerSize)
        let major = try r.u8("FMAP version", at: offset + 8)
        let minor = try r.u8("FMAP version", at: offset + 9)
        guard major == 1, minor <= 1 else {
            throw BootError.unsupported(what: "FMAP", offset: offset, reason: "version \(major).\(minor) (only 1.0 and 1.1 are known)")
        }
        let base = try r.u64le("FMAP base", at: offset + 10)
        let size = try r.u32le("FMAP size", at: offset + 18)
        let name = try r.cString("FMAP name", at: offset + 22, fieldSize: 32)
        let count = Int(try r.u16le("FMAP area count", at: offset + 54))
        let tableStart = offset + headerSize
        try r.require("FMAP area table (\(count) areas)", at: tableStart, count: count * areaSize)
        var areas: [FMAPArea] = []
        areas.reserveCapacity(count)
        for i in 0..<count {
            let o = tableStart + i * areaSize
            areas.append(FMAPArea(
                name: try r.cString("FMAP area name", at: o + 8, fieldSize: 32),
                offset: try r.u32le("FMAP area offset", at: o),
                size: try r.u32le("FMAP area size", at: o + 4),
                flags: FMAPFlags(rawValue: try r.u16le("FMAP area flags", at: o + 40))))
        }
        var map = FMAP(base: base, size: size, name: name, areas: areas)
        map.versionMajor = major
        map.versionMinor = minor
        return map
    }

    /// Calls `body` with every offset in `image` where the signature occurs, in ascending order.
    static func forEachSignature(in image: [UInt8], _ body: (Int) -> Void) {
        image.withUnsafeBytes { raw in
            signature.withUnsafeBytes { text in
                guard let start = raw.baseAddress, let text = text.baseAddress, raw.count >= 8 else { return }
                // memchr for the first byte, then compare the rest: fast on 16 MiB of 0xff.
                var position = 0
                let last = raw.count - 8
                while position <= last {
                    guard let found = memchr(start + position, 0x5f, last - position + 1) else { break }
                    let offset = start.distance(to: UnsafeRawPointer(found))
                    if memcmp(start + offset, text, 8) == 0 { body(offset) }
                    position = offset + 1
                }
            }
        }
    }

    /// True when `parse(image, at: offset)` succeeds: a known version and a header and area
    /// table inside the image. Checked without building an error, because a hostile image can
    /// hold two million copies of the signature.
    static func parses(_ image: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= image.count - headerSize, image[offset + 8] == 1, image[offset + 9] <= 1 else { return false }
        let count = Int(image[offset + 54]) | Int(image[offset + 55]) << 8
        return count * areaSize <= image.count - offset - headerSize
    }

    /// Finds the flash map in an image. Like coreboot and flashrom, a map at a more strongly
    /// aligned offset wins (then the lowest offset); unaligned maps are still found. Candidates
    /// that do not parse (the string `__FMAP__` inside some file, say) are skipped. Returns nil
    /// when there is none. One pass over the candidates, whatever their number.
    public static func locate(in image: [UInt8]) -> (offset: Int, map: FMAP)? {
        func rank(_ offset: Int) -> Int { offset == 0 ? Int.max : offset.trailingZeroBitCount }
        var best: Int?
        forEachSignature(in: image) { offset in
            guard parses(image, at: offset) else { return }
            if let b = best, rank(b) >= rank(offset) { return }
            best = offset
        }
        guard let best, let map = try? parse(image, at: best) else { return nil }
        return (best, map)
    }

    /// Like `locate`, but throws `BootError.notFound` when the image has no map.
    public static func find(in image: [UInt8]) throws -> (offset: Int, map: FMAP) {
        guard let found = locate(in: image) else { throw BootError.notFound(what: "FMAP (__FMAP__ signature)") }
        return found
    }

    /// Whether another area lies strictly inside `area` (fmaptool nests regions; cbfstool calls
    /// parents read-only). O(areas); for every area at once use `parentFlags`.
    public func hasChildren(_ area: FMAPArea) -> Bool {
        areas.contains { other in
            other != area && other.offset >= area.offset
                && UInt64(other.offset) + UInt64(other.size) <= UInt64(area.offset) + UInt64(area.size)
                && other.size < area.size
        }
    }

    /// `hasChildren` of every area, in area order, in O(n log n): a map may hold 65535 areas,
    /// and asking each one against all the others would be quadratic in a count the image chooses.
    /// A child either starts where the area starts and ends earlier, or starts later and ends
    /// no later; so the smallest end per start and the smallest end among later starts decide.
    public var parentFlags: [Bool] {
        var smallestEnd: [UInt64: UInt64] = [:]
        for area in areas {
            let start = UInt64(area.offset), end = start + UInt64(area.size)
            smallestEnd[start] = min(smallestEnd[start] ?? .max, end)
        }
        let starts = smallestEnd.keys.sorted()
        // laterEnd[i]: the smallest end of the areas starting after starts[i].
        var laterEnd = [UInt64](repeating: .max, count: starts.count)
        var running = UInt64.max
        for i in starts.indices.reversed() {
            laterEnd[i] = running
            running = min(running, smallestEnd[starts[i]]!)
        }
        var index: [UInt64: Int] = [:]
        for (i, start) in starts.enumerated() { index[start] = i }
        return areas.map { area in
            let start = UInt64(area.offset), end = start + UInt64(area.size)
            return smallestEnd[start]! < end || laterEnd[index[start]!] <= end
        }
    }
}

/// One named area of a flash map: a byte range of the flash with flags.
public struct FMAPArea: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var offset: UInt32
    public var size: UInt32
    public var flags: FMAPFlags

    public init(name: String, offset: UInt32, size: UInt32, flags: FMAPFlags = []) {
        self.name = name
        self.offset = offset
        self.size = size
        self.flags = flags
    }

    /// The area's byte range, checked against an image of `imageSize` bytes.
    public func range(inImageOf imageSize: Int) throws -> Range<Int> {
        let start = Int(offset)
        let end = start + Int(size)
        guard end <= imageSize else {
            throw BootError.outOfBounds(what: "FMAP area \(name)", offset: start, length: Int(size), limit: imageSize)
        }
        return start..<end
    }
}

/// The FMAP area flags coreboot defines.
public struct FMAPFlags: OptionSet, Codable, Sendable, Hashable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let `static` = FMAPFlags(rawValue: 1 << 0)
    public static let compressed = FMAPFlags(rawValue: 1 << 1)
    public static let readOnly = FMAPFlags(rawValue: 1 << 2)
    public static let preserve = FMAPFlags(rawValue: 1 << 3)

    /// Names as coreboot's headers spell them, for printing.
    public var names: [String] {
        var out: [String] = []
        if contains(.static) { out.append("STATIC") }
        if contains(.compressed) { out.append("COMPRESSED") }
        if contains(.readOnly) { out.append("RO") }
        if contains(.preserve) { out.append("PRESERVE") }
        let unknown = rawValue & ~0x0f
        if unknown != 0 { out.append("0x" + String(unknown, radix: 16)) }
        return out
    }
}
