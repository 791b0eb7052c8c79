import Foundation

/// The setup header of a Linux x86 bzImage (boot protocol 2.x, `HdrS` at 0x202): enough to
/// tell which kernel a payload carries and how it wants to be loaded.
public struct BzImageHeader: Codable, Sendable, Equatable {
    public var setupSectors: Int
    public var sysSize: UInt32
    /// e.g. 0x020f for protocol 2.15.
    public var protocolVersion: UInt16
    public var kernelVersion: String?
    public var loadFlags: UInt8
    public var initrdAddressMax: UInt32?
    public var kernelAlignment: UInt32?
    public var relocatable: Bool?
    public var cmdlineSize: UInt32?

    /// How many leading bytes `init(parsing:)` can look at: the header fields end at 0x23c and
    /// kernel_version must point inside the setup sectors (at most 255 + 1 of 512 bytes), plus
    /// the 512 bytes of the string. Parsing a prefix this long gives the same result.
    public static let headerReach = 256 * 512 + 512

    /// "2.15" for 0x020f.
    public var protocolString: String { "\(protocolVersion >> 8).\(protocolVersion & 0xff)" }

    /// Parses the header of `image` (a bzImage or a boot-params copy of its first sector).
    public init(parsing image: [UInt8]) throws {
        let r = ByteReader(image)
        let magic = try r.u32le("bzImage header", at: 0x202)
        guard magic == 0x5372_6448 else {
            throw BootError.badMagic(what: "bzImage setup header", offset: 0x202, found: String(decoding: try r.slice("", at: 0x202, count: 4), as: UTF8.self))
        }
        let sects = Int(try r.u8("setup_sects", at: 0x1f1))
        setupSectors = sects == 0 ? 4 : sects
        sysSize = try r.u32le("syssize", at: 0x1f4)
        protocolVersion = try r.u16le("boot protocol version", at: 0x206)
        loadFlags = try r.u8("loadflags", at: 0x211)
        let versionOffset = Int(try r.u16le("kernel_version", at: 0x20e))
        if versionOffset != 0, versionOffset + 0x200 < image.count, versionOffset + 0x200 < (setupSectors + 1) * 512 {
            let field = image[(versionOffset + 0x200)..<min(image.count, versionOffset + 0x200 + 512)]
            let end = field.firstIndex(of: 0) ?? field.endIndex
            kernelVersion = String(decoding: field[field.startIndex..<end], as: UTF8.self)
        }
        if protocolVersion >= 0x0203 { initrdAddressMax = try? r.u32le("initrd_addr_max", at: 0x22c) }
        if protocolVersion >= 0x0205 {
            kernelAlignment = try? r.u32le("kernel_alignment", at: 0x230)
            relocatable = (try? r.u8("relocatable_kernel", at: 0x234)).map { $0 != 0 }
        }
        if protocolVersion >= 0x0206 { cmdlineSize = try? r.u32le("cmdline_size", at: 0x238) }
    }

    /// The kernel release in a payload whose real-mode setup code is gone (cbfstool keeps only
    /// the protected-mode part): the first NUL-delimited string shaped like
    /// `6.1.0-56-cloud-amd64 (builder@host) ... #1 SMP ...`, or nil.
    ///
    /// Linear in `bytes` whatever they hold: the printable run around each `) #` candidate is
    /// found from where the previous candidate's search stopped, never rescanned, so a run of
    /// millions of `) #` costs no more than one long string.
    public static func findVersionString(in bytes: [UInt8]) -> String? {
        bytes.withUnsafeBufferPointer { buf -> String? in
            guard let base = buf.baseAddress, buf.count > 4 else { return nil }
            func printable(_ b: UInt8) -> Bool { b >= 0x20 && b < 0x7f }
            var runStart = 0  // start of the printable run that reaches `classified`
            var classified = 0  // bytes before this index have been looked at backwards
            var runEnd = 0  // first non-printable byte at or after the last forward scan
            var i = 0
            while i < buf.count - 2 {
                guard let hit = memchrIndex(base, from: i, count: buf.count, byte: UInt8(ascii: ")")) else { return nil }
                i = hit + 1
                guard hit + 2 < buf.count, buf[hit + 1] == 0x20, buf[hit + 2] == UInt8(ascii: "#") else { continue }
                var j = hit
                while j > classified, printable(buf[j - 1]) { j -= 1 }
                if j > classified || (j > 0 && !printable(buf[j - 1])) { runStart = j }
                classified = hit
                let start = max(runStart, hit - 400)
                if runEnd <= hit {
                    runEnd = hit
                    while runEnd < buf.count, printable(buf[runEnd]) { runEnd += 1 }
                }
                var text = UnsafeBufferPointer(rebasing: buf[start..<runEnd])
                let prefix = "Linux version ".utf8
                if text.starts(with: prefix) { text = UnsafeBufferPointer(rebasing: text[(text.startIndex + prefix.count)...]) }
                guard text.count > 3, (0x30...0x39).contains(text[0]), text[1] == UInt8(ascii: ".") || (0x30...0x39).contains(text[1]) else { continue }
                return String(decoding: text, as: UTF8.self)
            }
            return nil
        }
    }
}

func memchrIndex(_ base: UnsafePointer<UInt8>, from: Int, count: Int, byte: UInt8) -> Int? {
    guard from < count, let p = memchr(base + from, Int32(byte), count - from) else { return nil }
    return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(p))
}

