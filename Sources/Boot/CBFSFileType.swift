/// The type field of a CBFS file (coreboot 4.15 `enum cbfs_type`), with cbfstool's names.
public struct CBFSFileType: RawRepresentable, Codable, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let deleted = CBFSFileType(rawValue: 0x0000_0000)
    public static let null = CBFSFileType(rawValue: 0xffff_ffff)
    public static let bootblock = CBFSFileType(rawValue: 0x01)
    public static let cbfsHeader = CBFSFileType(rawValue: 0x02)
    public static let legacyStage = CBFSFileType(rawValue: 0x10)
    public static let stage = CBFSFileType(rawValue: 0x11)
    public static let payload = CBFSFileType(rawValue: 0x20)
    public static let fit = CBFSFileType(rawValue: 0x21)
    public static let optionROM = CBFSFileType(rawValue: 0x30)
    public static let bootsplash = CBFSFileType(rawValue: 0x40)
    public static let raw = CBFSFileType(rawValue: 0x50)

    /// True for the "(empty)" and deleted entries that hold free space.
    public var isFree: Bool { self == .null || self == .deleted }

    static let names: [UInt32: String] = [
        0x01: "bootblock", 0x02: "cbfs header", 0x10: "legacy stage", 0x11: "stage", 0x20: "simple elf",
        0x21: "fit", 0x30: "optionrom", 0x40: "bootsplash", 0x50: "raw", 0x51: "vsa", 0x52: "mbi",
        0x53: "microcode", 0x60: "fsp", 0x61: "mrc", 0x62: "mma", 0x63: "efi", 0x70: "struct",
        0x00: "deleted", 0xffff_ffff: "null", 0xaa: "cmos_default", 0xab: "spd", 0xac: "mrc_cache",
        0x01aa: "cmos_layout",
    ]

    /// The name `cbfstool print` shows for this type.
    public var name: String { Self.names[rawValue] ?? "(unknown)" }

    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(UInt32.self) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// The compression algorithms coreboot's CBFS uses (attribute `BCZL`, SELF segments).
public enum CBFSCompression: UInt32, Codable, Sendable {
    case none = 0
    case lzma = 1
    case lz4 = 2

    /// cbfstool's spelling.
    public var name: String {
        switch self {
        case .none: return "none"
        case .lzma: return "LZMA"
        case .lz4: return "LZ4"
        }
    }
}
