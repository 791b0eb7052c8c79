import Foundation

/// One POSIX ustar header (512 bytes), the only member kinds a bundle uses: regular files and
/// directories. Written deterministically (uid/gid 0, no user names, mtime 0). Read as untrusted
/// input: the checksum and magic must be right, sizes are plain octal, and any other member
/// kind (links, devices, pax or GNU extension headers) is refused rather than interpreted.
struct TarHeader: Equatable {
    enum Kind: Equatable { case file, directory }

    static let blockSize = 512
    /// The largest size 11 octal digits can state.
    static let maximumSize: Int64 = 0o77777777777

    var path: String
    var kind: Kind
    /// Permission bits only (no setuid, setgid or sticky).
    var mode: Int
    var size: Int64

    /// The header block. Throws when the path does not fit ustar's 155 + 100 bytes.
    func encoded() throws -> [UInt8] {
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        let (prefix, name) = try Self.split(kind == .directory ? path + "/" : path)
        func put(_ text: String, at offset: Int, width: Int) {
            for (index, byte) in text.utf8.prefix(width).enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int64, at offset: Int, width: Int) {
            put(String(repeating: "0", count: max(0, width - 1 - String(value, radix: 8).count)) + String(value, radix: 8), at: offset, width: width - 1)
        }
        put(name, at: 0, width: 100)
        octal(Int64(mode & 0o777), at: 100, width: 8)
        octal(0, at: 108, width: 8)
        octal(0, at: 116, width: 8)
        octal(kind == .directory ? 0 : size, at: 124, width: 12)
        octal(0, at: 136, width: 12)
        block[156] = kind == .directory ? UInt8(ascii: "5") : UInt8(ascii: "0")
        put("ustar", at: 257, width: 6)
        put("00", at: 263, width: 2)
        put(prefix, at: 345, width: 155)
        for index in 148..<156 { block[index] = 0x20 }
        let sum = block.reduce(0) { $0 + Int($1) }
        put(String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8), at: 148, width: 6)
        block[154] = 0
        block[155] = 0x20
        return block
    }

    /// ustar keeps a long path as prefix + "/" + name (at most 155 and 100 bytes).
    static func split(_ path: String) throws -> (prefix: String, name: String) {
        let bytes = Array(path.utf8)
        if bytes.count <= 100 { return ("", path) }
        for index in bytes.indices.reversed() where bytes[index] == UInt8(ascii: "/") && index <= 155 {
            if bytes.count - index - 1 <= 100 && index > 0 {
                return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: bytes[(index + 1)...], as: UTF8.self))
            }
        }
        throw BundleError.pathTooLong(path: path)
    }

    /// Decodes a header block; nil for an all-zero block (the end of the archive).
    static func decode(_ block: [UInt8], offset: Int64) throws -> TarHeader? {
        guard block.count == blockSize else { throw BundleError.malformed(offset: offset, reason: "the archive ends inside a header") }
        if block.allSatisfy({ $0 == 0 }) { return nil }
        guard block[257..<262].elementsEqual("ustar".utf8) else {
            throw BundleError.malformed(offset: offset, reason: "not a ustar header (bad magic)")
        }
        var checked = block
        for index in 148..<156 { checked[index] = 0x20 }
        let sum = checked.reduce(0) { $0 + Int($1) }
        guard let stated = try? octal(block[148..<156], offset: offset), stated == Int64(sum) else {
            throw BundleError.malformed(offset: offset, reason: "header checksum does not match")
        }
        let name = try text(block[0..<100], offset: offset)
        let prefix = try text(block[345..<500], offset: offset)
        var path = prefix.isEmpty ? name : prefix + "/" + name
        let kind: Kind
        switch block[156] {
        case UInt8(ascii: "0"), 0: kind = .file
        case UInt8(ascii: "5"): kind = .directory
        default:
            throw BundleError.unsupportedMember(path: path, type: String(UnicodeScalar(block[156])))
        }
        if kind == .directory, path.hasSuffix("/") { path.removeLast() }
        let mode = Int(try octal(block[100..<108], offset: offset))
        guard mode & ~0o777 == 0 else { throw BundleError.unsupportedMember(path: path, type: "mode \(String(mode, radix: 8))") }
        return TarHeader(path: path, kind: kind, mode: mode, size: try octal(block[124..<136], offset: offset))
    }

    static func text(_ field: ArraySlice<UInt8>, offset: Int64) throws -> String {
        let bytes = field.prefix { $0 != 0 }
        guard let text = String(validating: Array(bytes), as: UTF8.self) else {
            throw BundleError.malformed(offset: offset, reason: "a name is not UTF-8")
        }
        return text
    }

    /// Plain octal digits, optionally padded with spaces or NULs (base-256 is refused).
    static func octal(_ field: ArraySlice<UInt8>, offset: Int64) throws -> Int64 {
        var value: Int64 = 0
        var digits = 0
        for byte in field {
            if byte == 0 || byte == 0x20 { if digits > 0 { break } else { continue } }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "7"), digits < 11 else {
                throw BundleError.malformed(offset: offset, reason: "a numeric field is not plain octal")
            }
            value = value * 8 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return value
    }
}
