/// Bounds-checked reads of little- and big-endian integers from untrusted bytes.
///
/// Every read checks its range with overflow-safe arithmetic and throws `BootError.truncated`
/// naming the absolute offset, so a format parser built on it can never trap on bad input.
struct ByteReader {
    let bytes: [UInt8]
    /// Added to every offset in an error message: the position of offset 0 in the whole image.
    let base: Int
    /// Offset 0 is `bytes[start]`; reads stay below `end`. A window lets a part of an image
    /// (a CBFS file's data, say) be read in place instead of copied out.
    let start: Int
    let end: Int

    init(_ bytes: [UInt8], base: Int = 0) {
        self.bytes = bytes
        self.base = base
        start = 0
        end = bytes.count
    }

    /// `window` of `bytes` read as if it were its own buffer; errors name offsets in the image
    /// (`window.lowerBound` plus the offset inside the window).
    init(_ bytes: [UInt8], window: Range<Int>) {
        precondition(window.lowerBound >= 0 && window.upperBound <= bytes.count, "window outside the buffer")
        self.bytes = bytes
        base = window.lowerBound
        start = window.lowerBound
        end = window.upperBound
    }

    var count: Int { end - start }

    /// Throws unless `count` bytes starting at `offset` lie inside the buffer.
    func require(_ what: String, at offset: Int, count: Int) throws {
        guard offset >= 0, count >= 0 else {
            throw BootError.outOfBounds(what: what, offset: base &+ offset, length: count, limit: base &+ self.count)
        }
        let (last, overflow) = offset.addingReportingOverflow(count)
        guard !overflow, last <= self.count else {
            throw BootError.truncated(what: what, offset: base &+ offset, needed: count, available: max(0, self.count - offset))
        }
    }

    func u8(_ what: String, at offset: Int) throws -> UInt8 {
        try require(what, at: offset, count: 1)
        return bytes[start + offset]
    }

    func u16le(_ what: String, at offset: Int) throws -> UInt16 {
        try require(what, at: offset, count: 2)
        return UInt16(bytes[start + offset]) | UInt16(bytes[start + offset + 1]) << 8
    }

    func u32le(_ what: String, at offset: Int) throws -> UInt32 {
        try require(what, at: offset, count: 4)
        return Self.u32le(bytes, start + offset)
    }

    func u64le(_ what: String, at offset: Int) throws -> UInt64 {
        try require(what, at: offset, count: 8)
        return UInt64(Self.u32le(bytes, start + offset)) | UInt64(Self.u32le(bytes, start + offset + 4)) << 32
    }

    func u16be(_ what: String, at offset: Int) throws -> UInt16 {
        try require(what, at: offset, count: 2)
        return UInt16(bytes[start + offset]) << 8 | UInt16(bytes[start + offset + 1])
    }

    func u32be(_ what: String, at offset: Int) throws -> UInt32 {
        try require(what, at: offset, count: 4)
        return Self.u32be(bytes, start + offset)
    }

    func u64be(_ what: String, at offset: Int) throws -> UInt64 {
        try require(what, at: offset, count: 8)
        return UInt64(Self.u32be(bytes, start + offset)) << 32 | UInt64(Self.u32be(bytes, start + offset + 4))
    }

    /// The bytes themselves (not copied); indices are those of the underlying buffer.
    func slice(_ what: String, at offset: Int, count: Int) throws -> ArraySlice<UInt8> {
        try require(what, at: offset, count: count)
        return bytes[(start + offset)..<(start + offset + count)]
    }

    /// A NUL-terminated string inside a fixed-size field (the rest of the field is ignored).
    func cString(_ what: String, at offset: Int, fieldSize: Int) throws -> String {
        let field = try slice(what, at: offset, count: fieldSize)
        let end = field.firstIndex(of: 0) ?? field.endIndex
        return String(decoding: field[field.startIndex..<end], as: UTF8.self)
    }

    static func u32le(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }

    static func u32be(_ b: [UInt8], _ o: Int) -> UInt32 {
        UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
    }
}

/// Little helpers for building byte arrays in a format's byte order.
extension Array where Element == UInt8 {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    /// `text` as UTF-8, cut or NUL-padded to exactly `size` bytes.
    mutating func appendFixedString(_ text: String, size: Int) {
        var field = Array(text.utf8.prefix(size))
        field += [UInt8](repeating: 0, count: size - field.count)
        append(contentsOf: field)
    }

    mutating func writeBE(_ value: UInt32, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 24)
        self[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        self[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 3] = UInt8(truncatingIfNeeded: value)
    }
}

/// Checked arithmetic on values read from an image: an overflow becomes a typed error.
enum Checked {
    static func add(_ a: Int, _ b: Int, what: String, offset: Int) throws -> Int {
        let (r, o) = a.addingReportingOverflow(b)
        if o { throw BootError.malformed(what: what, offset: offset, reason: "offset arithmetic overflows") }
        return r
    }

    static func alignUp(_ value: Int, _ alignment: Int, what: String, offset: Int) throws -> Int {
        guard alignment > 0 else { return value }
        let r = value % alignment
        return r == 0 ? value : try add(value, alignment - r, what: what, offset: offset)
    }
}
