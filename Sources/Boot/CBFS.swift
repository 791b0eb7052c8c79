import Support

/// A CBFS region (coreboot 4.15): a chain of `LARCHIVE` file headers at 64-byte alignment.
///
/// `CBFS` reads a region of an image without copying it: `files` walks the headers,
/// `extract` returns (decompressed) contents and checks hashes, `addRaw` and `remove` edit the
/// region exactly as `cbfstool add -t raw` and `cbfstool remove` do, byte for byte, so the
/// result is a valid CBFS for coreboot and cbfstool alike. Untrusted values never trap: every
/// read and sum is checked and failures are `BootError`s naming the absolute offset.
public struct CBFS: Sendable {
    public static let fileMagic: [UInt8] = Array("LARCHIVE".utf8)
    public static let headerSize = 24
    public static let defaultAlignment = 64

    public let image: [UInt8]
    /// Absolute byte range of the region inside `image`.
    public let range: Range<Int>
    /// Where the first file header is, relative to the region (non-zero only for legacy images).
    public let firstFileOffset: Int
    public let alignment: Int

    public init(image: [UInt8], range: Range<Int>, firstFileOffset: Int = 0, alignment: Int = CBFS.defaultAlignment) throws {
        guard range.lowerBound >= 0, range.upperBound <= image.count else {
            throw BootError.outOfBounds(what: "CBFS region", offset: range.lowerBound, length: range.count, limit: image.count)
        }
        self.image = image
        self.range = range
        self.firstFileOffset = firstFileOffset
        self.alignment = alignment
    }

    /// True when the region starts with a file header (cbfstool's test for a "modern" CBFS).
    public static func hasFileMagic(_ image: [UInt8], at offset: Int) -> Bool {
        guard offset >= 0, offset <= image.count - 8 else { return false }
        return image[offset..<(offset + 8)].elementsEqual(fileMagic)
    }

    /// Every file in the region, in order. The walk ends at the first position without a
    /// `LARCHIVE` header (as cbfstool's does); offsets only grow, so it always terminates.
    public func files() throws -> [CBFSFile] {
        var out: [CBFSFile] = []
        var o = firstFileOffset
        while o >= 0, o + Self.headerSize <= range.count, Self.hasFileMagic(image, at: range.lowerBound + o) {
            let file = try parseFile(at: o)
            out.append(file)
            o = try Checked.alignUp(file.dataOffset + file.dataSize, alignment, what: "CBFS file \(file.name)", offset: range.lowerBound + o)
        }
        return out
    }

    /// Parses the header at `o` (relative to the region) and its attributes.
    func parseFile(at o: Int) throws -> CBFSFile {
        let r = ByteReader(image)
        let abs = range.lowerBound + o
        let limit = range.upperBound
        try r.require("CBFS file header", at: abs, count: Self.headerSize)
        let len = Int(try r.u32be("CBFS file length", at: abs + 8))
        let type = CBFSFileType(rawValue: try r.u32be("CBFS file type", at: abs + 12))
        let attributesOffset = Int(try r.u32be("CBFS attributes offset", at: abs + 16))
        let dataOffset = Int(try r.u32be("CBFS data offset", at: abs + 20))
        guard dataOffset >= Self.headerSize else {
            throw BootError.malformed(what: "CBFS file header", offset: abs, reason: "data offset \(dataOffset) lies inside the header")
        }
        guard attributesOffset == 0 || (attributesOffset >= Self.headerSize && attributesOffset <= dataOffset) else {
            throw BootError.malformed(what: "CBFS file header", offset: abs, reason: "attributes offset \(attributesOffset) is outside the metadata")
        }
        let dataStart = try Checked.add(abs, dataOffset, what: "CBFS file header", offset: abs)
        let dataEnd = try Checked.add(dataStart, len, what: "CBFS file header", offset: abs)
        guard dataEnd <= limit else {
            throw BootError.outOfBounds(what: "CBFS file data", offset: dataStart, length: len, limit: limit)
        }
        let nameEnd = attributesOffset != 0 ? attributesOffset : dataOffset
        let name = try r.cString("CBFS file name", at: abs + Self.headerSize, fieldSize: nameEnd - Self.headerSize)
        var file = CBFSFile(name: name, offset: o, type: type, metadataSize: dataOffset, dataSize: len, compression: .none)

        if attributesOffset != 0 {
            var dataSHA256: String?
            var a = abs + attributesOffset
            let end = abs + dataOffset
            while a + 8 <= end {
                let tag = try r.u32be("CBFS attribute tag", at: a)
                if tag == 0 || tag == 0xffff_ffff { break }
                let alen = Int(try r.u32be("CBFS attribute length", at: a + 4))
                guard alen >= 8, alen <= end - a else {
                    throw BootError.malformed(what: "CBFS attribute of \(name)", offset: a, reason: "length \(alen) does not fit the metadata")
                }
                switch tag {
                case 0x4243_5a4c:  // "BCZL" compression
                    guard alen >= 16 else { throw BootError.malformed(what: "CBFS compression attribute", offset: a, reason: "too short") }
                    let algo = try r.u32be("CBFS compression", at: a + 8)
                    guard let c = CBFSCompression(rawValue: algo) else {
                        throw BootError.unsupported(what: "CBFS compression attribute", offset: a, reason: "algorithm \(algo)")
                    }
                    file.compression = c
                    file.decompressedSize = Int(try r.u32be("CBFS decompressed size", at: a + 12))
                case 0x6873_6148:  // "Hash"
                    guard alen >= 12 else { throw BootError.malformed(what: "CBFS hash attribute", offset: a, reason: "too short") }
                    let algo = try r.u32be("CBFS hash algorithm", at: a + 8)
                    // An unknown algorithm's digest is shown up to the longest known (SHA-512),
                    // not as megabytes of hex from an attribute that claims to be that long.
                    let size = min(CBFSFileHash.digestSize(algo) ?? CBFSFileHash.longestDigest, alen - 12)
                    let hex = String(hex: try r.slice("CBFS hash", at: a + 12, count: size))
                    var valid: Bool?
                    if algo == 2 {
                        // Hashed once per file however many hash attributes its metadata repeats.
                        if dataSHA256 == nil { dataSHA256 = SHA256Digest.hex(image[dataStart..<dataEnd]) }
                        valid = dataSHA256 == hex
                    }
                    file.hash = CBFSFileHash(algorithm: algo, digest: hex, valid: valid)
                case 0x4243_5350:  // "BCSP" position
                    guard alen >= 12 else { throw BootError.malformed(what: "CBFS position attribute", offset: a, reason: "too short") }
                    file.position = try r.u32be("CBFS position", at: a + 8)
                case 0x4243_4c41:  // "BCLA" alignment
                    guard alen >= 12 else { throw BootError.malformed(what: "CBFS alignment attribute", offset: a, reason: "too short") }
                    file.alignment = try r.u32be("CBFS alignment", at: a + 8)
                case 0x5374_6748:  // "StgH" stage header
                    guard alen >= 24 else { throw BootError.malformed(what: "CBFS stage header", offset: a, reason: "too short") }
                    file.stage = CBFSStageHeader(
                        loadAddress: try r.u64be("stage load address", at: a + 8),
                        memoryLength: try r.u32be("stage memlen", at: a + 20),
                        entryOffset: try r.u32be("stage entry offset", at: a + 16))
                default:
                    break  // unknown attributes are skipped, as coreboot does
                }
                a += alen
            }
        }
        return file
    }

    /// The file's bytes as stored (still compressed).
    public func storedData(of file: CBFSFile) -> ArraySlice<UInt8> {
        let start = range.lowerBound + file.dataOffset
        return image[start..<(start + file.dataSize)]
    }

    public func file(named name: String) throws -> CBFSFile? {
        try files().first { $0.name == name && !$0.type.isFree }
    }

    /// The file's contents, decompressed, after checking its hash attribute if it has one.
    /// `limit` caps the decompressed size (a hostile size field cannot exhaust memory).
    public func extract(_ file: CBFSFile, limit: Int = 512 << 20) throws -> [UInt8] {
        let stored = storedData(of: file)
        if let hash = file.hash, hash.valid == false {
            throw BootError.hashMismatch(what: "CBFS file \(file.name)", offset: range.lowerBound + file.offset,
                                         expected: hash.digest, actual: SHA256Digest.hex(Array(stored)))
        }
        let at = range.lowerBound + file.dataOffset
        switch file.compression {
        case .none: return Array(stored)
        case .lzma: return try Decompression.lzmaAlone(Array(stored), expectedSize: file.decompressedSize, limit: limit, offset: at)
        case .lz4: return try Decompression.lz4Frame(Array(stored), expectedSize: file.decompressedSize, limit: limit, offset: at)
        }
    }

    public func extract(named name: String) throws -> [UInt8] {
        guard let file = try file(named: name) else { throw BootError.notFound(what: "CBFS file \(name)") }
        return try extract(file)
    }
}

extension String {
    /// Lowercase hex, two digits a byte.
    init<C: Collection>(hex bytes: C) where C.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xf)])
        }
        self = String(decoding: out, as: UTF8.self)
    }
}
