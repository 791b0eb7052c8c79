/// A coreboot SELF payload (CBFS type "simple elf"): a table of 28-byte big-endian segment
/// records (CODE/DATA/BSS/PARAMS/ENTRY) followed by their data. Parsing stops at ENTRY,
/// caps the table at the data size (so a missing ENTRY cannot loop) and checks every range.
public struct SELFPayload: Codable, Sendable, Equatable {
    public enum SegmentType: String, Codable, Sendable {
        case code, data, bss, params, entry, unknown
        init(raw: UInt32) {
            switch raw {
            case 0x434F_4445: self = .code
            case 0x4441_5441: self = .data
            case 0x4253_5320: self = .bss
            case 0x5041_5241: self = .params
            case 0x454E_5452: self = .entry
            default: self = .unknown
            }
        }
    }

    /// One segment: where its bytes are in the payload and where they load.
    public struct Segment: Codable, Sendable, Equatable {
        public var type: SegmentType
        public var compression: CBFSCompression
        /// Offset of the segment's data from the start of the payload.
        public var offset: Int
        public var loadAddress: UInt64
        public var length: Int
        public var memoryLength: Int
    }

    public var segments: [Segment]
    public var entry: UInt64? { segments.first { $0.type == .entry }?.loadAddress }

    /// Parses `payload` (the file's data as stored); `base` is its offset in the image, for errors.
    public init(parsing payload: [UInt8], base: Int = 0) throws {
        try self.init(reading: ByteReader(payload, base: base))
    }

    /// Parses the payload stored at `range` of `image` in place (no copy of a payload that may
    /// be most of a 16 MiB flash). Segment offsets stay relative to the payload.
    init(image: [UInt8], range: Range<Int>) throws {
        try self.init(reading: ByteReader(image, window: range))
    }

    private init(reading r: ByteReader) throws {
        let base = r.base
        var segments: [Segment] = []
        var o = 0
        while o + 28 <= r.count {
            let type = SegmentType(raw: try r.u32be("SELF segment type", at: o))
            let compRaw = try r.u32be("SELF segment compression", at: o + 4)
            guard let comp = CBFSCompression(rawValue: compRaw) else {
                throw BootError.unsupported(what: "SELF segment", offset: base + o, reason: "compression \(compRaw)")
            }
            let seg = Segment(type: type, compression: comp, offset: Int(try r.u32be("SELF segment offset", at: o + 8)),
                              loadAddress: try r.u64be("SELF load address", at: o + 12),
                              length: Int(try r.u32be("SELF segment length", at: o + 20)),
                              memoryLength: Int(try r.u32be("SELF segment memlen", at: o + 24)))
            if type == .unknown {
                throw BootError.malformed(what: "SELF segment table", offset: base + o, reason: "unknown segment type")
            }
            if type == .code || type == .data || type == .params {
                try r.require("SELF segment data", at: seg.offset, count: seg.length)
            }
            segments.append(seg)
            o += 28
            if type == .entry { break }
        }
        guard segments.last?.type == .entry else {
            throw BootError.malformed(what: "SELF payload", offset: base, reason: "no ENTRY segment")
        }
        self.segments = segments
    }

    /// A segment's bytes, decompressed. Throws unless the segment's range lies in `payload`
    /// (any segment may be passed, also one this parser did not produce).
    public func data(of segment: Segment, in payload: [UInt8], limit: Int = 256 << 20) throws -> [UInt8] {
        try Self.data(of: segment, in: ByteReader(payload), limit: limit, prefix: nil)
    }

    /// A segment's bytes, decompressed, charged to a budget shared by every segment.
    public func data(of segment: Segment, in payload: [UInt8], budget: inout DecompressionBudget) throws -> [UInt8] {
        try budget.spend("SELF segment", offset: segment.offset) { limit in try data(of: segment, in: payload, limit: limit) }
    }

    /// The segment's bytes, or only its first `prefix` bytes (decoding stops there), from a
    /// reader over the payload (which may be a window on the whole image).
    static func data(of segment: Segment, in r: ByteReader, limit: Int, prefix: Int?) throws -> [UInt8] {
        let stored = try r.slice("SELF segment data", at: segment.offset, count: segment.length)
        let at = r.base &+ segment.offset
        switch segment.compression {
        case .none:
            let wanted = prefix.map { min($0, stored.count) } ?? stored.count
            guard wanted <= limit else {
                throw BootError.decompression(what: "SELF segment", offset: at, reason: Decompression.limitReason(limit))
            }
            return Array(stored.prefix(wanted))
        case .lzma: return try Decompression.lzmaAlone(Array(stored), expectedSize: nil, limit: limit, offset: at, prefix: prefix)
        case .lz4: return try Decompression.lz4Frame(Array(stored), expectedSize: nil, limit: limit, offset: at, prefix: prefix)
        }
    }
}
