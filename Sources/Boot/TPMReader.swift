/// A cursor over TPM 2.0 structures (TPM 2.0 Part 2): big-endian integers and `TPM2B_*` sized
/// buffers, read in order from untrusted bytes. Every read is bounds-checked by `ByteReader`
/// (errors name the absolute offset); a `TPM2B` whose size exceeds the structure's maximum is
/// refused before anything is copied, so no input makes a parser allocate more than it holds.
struct TPMReader {
    let reader: ByteReader
    /// The next byte to read, relative to the reader's window.
    private(set) var offset: Int

    init(_ bytes: [UInt8], at offset: Int = 0) {
        reader = ByteReader(bytes)
        self.offset = offset
    }

    var remaining: Int { reader.count - offset }

    mutating func u8(_ what: String) throws -> UInt8 {
        let v = try reader.u8(what, at: offset)
        offset += 1
        return v
    }

    mutating func u16(_ what: String) throws -> UInt16 {
        let v = try reader.u16be(what, at: offset)
        offset += 2
        return v
    }

    mutating func u32(_ what: String) throws -> UInt32 {
        let v = try reader.u32be(what, at: offset)
        offset += 4
        return v
    }

    mutating func u64(_ what: String) throws -> UInt64 {
        let v = try reader.u64be(what, at: offset)
        offset += 8
        return v
    }

    mutating func bytes(_ what: String, count: Int) throws -> [UInt8] {
        let v = Array(try reader.slice(what, at: offset, count: count))
        offset += count
        return v
    }

    /// A `TPM2B_*`: a 16-bit size, then that many bytes; `maximum` is the largest size the
    /// structure allows (e.g. 64 for a `TPM2B_DIGEST`).
    mutating func sized(_ what: String, maximum: Int) throws -> [UInt8] {
        let at = offset
        let size = Int(try u16("\(what) size"))
        guard size <= maximum else {
            throw BootError.malformed(what: what, offset: reader.base + at, reason: "size \(size) exceeds the largest this structure allows (\(maximum))")
        }
        return try bytes(what, count: size)
    }

    /// Throws unless every byte has been read: TPM structures have no padding, so bytes left
    /// over mean the input is not the structure it claims to be.
    func requireEnd(_ what: String) throws {
        guard remaining == 0 else {
            throw BootError.malformed(what: what, offset: reader.base + offset, reason: "\(remaining) bytes after its end")
        }
    }
}
