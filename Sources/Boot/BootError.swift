import Support

/// Why bytes could not be read as a firmware image format. Every case names the offset
/// where the reader stopped, so a user can look at the same place with a hex dump.
public enum BootError: UserFacingError, Equatable {
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    case badMagic(what: String, offset: Int, found: String)
    case outOfBounds(what: String, offset: Int, length: Int, limit: Int)
    case malformed(what: String, offset: Int, reason: String)
    case unsupported(what: String, offset: Int, reason: String)
    case notFound(what: String)
    case hashMismatch(what: String, offset: Int, expected: String, actual: String)
    case noSpace(what: String, needed: Int, region: Int)
    case decompression(what: String, offset: Int, reason: String)
    case compression(what: String, reason: String)

    public var message: String {
        switch self {
        case .truncated(let what, let offset, let needed, let available):
            return "\(what) at offset 0x\(String(offset, radix: 16)) is truncated: needs \(needed) bytes, \(available) left"
        case .badMagic(let what, let offset, let found):
            return "\(what) at offset 0x\(String(offset, radix: 16)) has the wrong magic (\(found))"
        case .outOfBounds(let what, let offset, let length, let limit):
            return "\(what) at offset 0x\(String(offset, radix: 16)) with length 0x\(String(length, radix: 16)) runs past the end (0x\(String(limit, radix: 16)))"
        case .malformed(let what, let offset, let reason):
            return "\(what) at offset 0x\(String(offset, radix: 16)) is malformed: \(reason)"
        case .unsupported(let what, let offset, let reason):
            return "\(what) at offset 0x\(String(offset, radix: 16)) is not supported: \(reason)"
        case .notFound(let what):
            return "no \(what) found"
        case .hashMismatch(let what, let offset, let expected, let actual):
            return "\(what) at offset 0x\(String(offset, radix: 16)) does not match its hash: recorded \(expected), actual \(actual)"
        case .noSpace(let what, let needed, let region):
            return "\(what) (\(needed) bytes with its header) does not fit in the free space of the CBFS region at offset 0x\(String(region, radix: 16))"
        case .decompression(let what, let offset, let reason):
            return "\(what) at offset 0x\(String(offset, radix: 16)) could not be decompressed: \(reason)"
        case .compression(let what, let reason):
            return "\(what) could not be compressed: \(reason)"
        }
    }

    public var fix: String? {
        switch self {
        case .noSpace: return "remove files with `cbfstool FILE remove -n NAME` or use a larger CBFS region in the board's layout"
        case .compression: return "this is a bug in ownerboot or its compression library; please report it"
        case .notFound: return "check that the file is a coreboot ROM or chip dump (`cbfstool FILE layout -w` should list its regions)"
        default: return "the image is damaged or not a coreboot ROM; compare it with `cbfstool FILE print -k`"
        }
    }
}
