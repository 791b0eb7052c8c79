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
        let r = ByteReader(payload, base: base)
        var segments: [Segment] = []
        var o = 0
        while o + 28 <= payload.count {
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

    /// A segment's bytes, decompressed.
    public func data(of segment: Segment, in payload: [UInt8], limit: Int = 256 << 20) throws -> [UInt8] {
        let raw = Array(payload[segment.offset..<(segment.offset + segment.length)])
        switch segment.compression {
        case .none: return raw
        case .lzma: return try Decompression.lzmaAlone(raw, expectedSize: nil, limit: limit, offset: segment.offset)
        case .lz4: return try Decompression.lz4Frame(raw, expectedSize: nil, limit: limit, offset: segment.offset)
        }
    }
}
