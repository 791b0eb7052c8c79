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
        }
    }

    public var fix: String? {
        switch self {
        case .notFound: return "check that the file is a coreboot ROM or chip dump (`cbfstool FILE layout -w` should list its regions)"
        default: return "the image is damaged or not a coreboot ROM; compare it with `cbfstool FILE print -k`"
        }
    }
}
