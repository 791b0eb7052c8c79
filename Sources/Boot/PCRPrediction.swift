import Support

/// The TPM PCR values a ROM will produce when coreboot 4.15 boots it with measured boot
/// (`TPM2`, `TPM_MEASURED_BOOT`, no vboot), predicted from the ROM's bytes alone, before it
/// is ever flashed. Pure: bytes in, value out.
///
/// What coreboot 4.15 does (src/security/tpm/tspi/crtm.c, src/lib/cbfs.c), and this mirrors:
/// - At its first CBFS lookup it measures the FMAP area named `FMAP` ("FMAP: FMAP") and the
///   CBFS file `bootblock`, then every file a successful lookup finds, each time it is looked
///   up, in lookup order. A lookup that finds nothing measures nothing.
/// - The digest is SHA-256 of the file's data as stored (still compressed; header and
///   attributes excluded). Only the SHA-256 bank is extended (TPM2).
/// - Stages, payloads, MRC and FIT files go to PCR 2; MRC caches (type 0xac) to PCR 3.
/// - The event is named "FMAP: AREA CBFS: NAME", AREA the first of COREBOOT, FW_MAIN_A,
///   FW_MAIN_B, RW_LEGACY that holds the file; a file in none of those is not measured at all.
///   qemu-x86's patches/0003 adds the normal set's region, NORMAL, to that list.
/// - A normal boot (normal/fallback, patches/0001 and 0003): the bootblock measures FMAP and
///   itself from COREBOOT, then switches to NORMAL, where every later lookup happens.
/// - PCR = SHA-256(PCR ‖ digest), starting from 32 zero bytes.
public struct PCRPrediction: Codable, Sendable, Equatable {
    /// One way through the ROM: the CBFS region and prefix its stages come from, and the
    /// files coreboot looks up on it, in order. Every ROM has the fallback path; a ROM with a
    /// normal half (FMAP area NORMAL holding normal/romstage) has the normal path too.
    public struct BootPath: Codable, Sendable, Equatable {
        public var name: String
        /// The FMAP area whose CBFS the stages are read from.
        public var region: String
        /// coreboot's `CBFS_PREFIX` for this path ("fallback", "normal").
        public var prefix: String
        /// CBFS names in lookup order, `{prefix}` standing for `prefix`.
        public var lookups: [String]
        /// The FMAP area whose CBFS holds the bootblock that starts the path (the one the CPU
        /// runs: always the protected COREBOOT region).
        public var bootblockRegion: String

        public init(name: String, region: String, prefix: String, lookups: [String], bootblockRegion: String = "COREBOOT") {
            self.name = name
            self.region = region
            self.prefix = prefix
            self.lookups = lookups
            self.bootblockRegion = bootblockRegion
        }

        /// What coreboot 4.15 (x86, no vboot, no option table in use) looks up after the
        /// bootblock, as its measured-boot log on a real boot of qemu-x86 shows (checked value
        /// for value by the pcrs-match scenario): the bootblock finds the romstage, the
        /// romstage the postcar stage and the ramstage, the ramstage the payload.
        /// `sanitize_cmos` would add `cmos.default` and `USE_OPTION_TABLE` `cmos_layout.bin`;
        /// qemu-x86 uses neither.
        public static let corebootLookups = ["{prefix}/romstage", "{prefix}/postcar", "{prefix}/ramstage", "{prefix}/payload"]

        /// The path every ROM has: the stages of the `COREBOOT` region with prefix "fallback".
        public static let fallback = BootPath(name: "fallback", region: "COREBOOT", prefix: "fallback", lookups: corebootLookups)

        /// An armed normal boot: the bootblock (COREBOOT) switches to region NORMAL, where the
        /// normal set's stages look up each other and the payload with prefix "normal".
        public static let normal = BootPath(name: "normal", region: "NORMAL", prefix: "normal", lookups: corebootLookups)

        /// The lookups with the prefix filled in.
        public var names: [String] { lookups.map { $0.split(separator: "{prefix}", omittingEmptySubsequences: false).joined(separator: prefix) } }
    }

    /// One measurement, as coreboot's log (printed at payload boot) shows it.
    public struct Event: Codable, Sendable, Equatable {
        public var pcr: Int
        /// coreboot's name for it ("FMAP: COREBOOT CBFS: fallback/romstage"), which coreboot
        /// itself cuts to 49 characters in its log.
        public var name: String
        /// SHA-256 of the measured bytes, lowercase hex.
        public var digest: String
        /// Where the measured bytes are in the ROM, and how many.
        public var offset: Int
        public var size: Int
    }

    /// The CBFS regions coreboot 4.15 names measurements after, in the order it tries them.
    /// (NORMAL: qemu-x86's patches/0003, `CONFIG_CBFS_NORMAL_REGION`.)
    public static let measuredRegions = ["COREBOOT", "FW_MAIN_A", "FW_MAIN_B", "RW_LEGACY", "NORMAL"]
    /// coreboot's `TCPA_PCR_HASH_NAME`: an event name is at most this many bytes minus one.
    public static let eventNameLimit = 50
    static let mrcCacheType = CBFSFileType(rawValue: 0xac)

    public var bootPath: String
    public var events: [Event]
    /// The value of every PCR an event extends (index → lowercase hex); the others stay zero.
    public var pcrs: [Int: String]
    /// Files the path looks up that are not in the ROM (coreboot measures nothing for them).
    public var absent: [String]
    /// The PCRs the unlocker's cap changes (`UnlockerCap`), as they are once it capped them: what
    /// a rescue shell, the OS or an attestation sees. `pcrs` holds them as they are when the
    /// unlocker unseals.
    public var capped: [Int: String]

    /// A PCR's predicted value: extended ones from `pcrs`, every other one all zeros.
    public func value(ofPCR index: Int) -> String { pcrs[index] ?? Self.zero }

    /// A PCR's predicted value once the unlocker capped the TPM (the OS's, a rescue shell's).
    public func cappedValue(ofPCR index: Int) -> String { capped[index] ?? value(ofPCR: index) }

    /// 32 zero bytes in hex: a PCR no one extended.
    public static let zero = String(repeating: "0", count: 64)

    /// The boot paths a ROM has: fallback when its FMAP has the `COREBOOT` area; normal too
    /// when its `NORMAL` area is a CBFS holding normal/romstage (an erased or missing normal
    /// set boots the fallback path, which is what coreboot measures then).
    public static func bootPaths(in image: [UInt8]) -> [BootPath] {
        guard let fmap = FMAP.locate(in: image)?.map, fmap.area(named: BootPath.fallback.region) != nil else { return [] }
        guard let area = fmap.area(named: BootPath.normal.region), let range = try? area.range(inImageOf: image.count),
              let files = try? CBFS(image: image, range: range).files(),
              files.contains(where: { $0.name == BootPath.normal.names[0] && !$0.type.isFree }) else { return [.fallback] }
        return [.fallback, .normal]
    }

    /// Predicts the events and PCR values of booting `image` along `path`. Throws when the
    /// ROM lacks what every coreboot boot measures (FMAP, the path's region, bootblock).
    public static func predict(image: [UInt8], path: BootPath = .fallback) throws -> PCRPrediction {
        guard let (_, fmap) = FMAP.locate(in: image) else { throw BootError.notFound(what: "FMAP (coreboot measures it first)") }
        func areaRange(_ name: String) throws -> Range<Int>? {
            guard let area = fmap.area(named: name) else { return nil }
            return try area.range(inImageOf: image.count)
        }
        guard let fmapRange = try areaRange("FMAP") else { throw BootError.notFound(what: "FMAP area \"FMAP\" (coreboot measures it first)") }
        guard let regionRange = try areaRange(path.region) else { throw BootError.notFound(what: "FMAP area \(path.region) (boot path \(path.name))") }
        guard let bootRange = try areaRange(path.bootblockRegion) else { throw BootError.notFound(what: "FMAP area \(path.bootblockRegion) (the bootblock of boot path \(path.name))") }
        let files = try CBFS(image: image, range: regionRange).files()
        let bootFiles = bootRange == regionRange ? files : try CBFS(image: image, range: bootRange).files()
        var namedRegions: [(name: String, range: Range<Int>)] = []
        for name in measuredRegions { if let range = try areaRange(name) { namedRegions.append((name, range)) } }

        var events = [Event(pcr: 2, name: "FMAP: FMAP", digest: SHA256Digest.hex(image[fmapRange]), offset: fmapRange.lowerBound, size: fmapRange.count)]
        var absent: [String] = []
        // The lookup walks the region from its start and takes the first live file by that
        // name, as coreboot's cbfs_lookup does.
        func measure(_ name: String, in files: [CBFSFile], at region: Range<Int>) {
            guard let file = files.first(where: { $0.name == name && !$0.type.isFree }) else {
                absent.append(name)
                return
            }
            let start = region.lowerBound + file.dataOffset
            let data = start..<(start + file.dataSize)
            guard let area = namedRegions.first(where: { $0.range.contains(data.lowerBound) && data.upperBound <= $0.range.upperBound }) else {
                absent.append(name)
                return
            }
            let pcr = file.type == mrcCacheType ? 3 : 2
            let label = String(decoding: Array("FMAP: \(area.name) CBFS: \(name)".utf8.prefix(eventNameLimit - 1)), as: UTF8.self)
            events.append(Event(pcr: pcr, name: label, digest: SHA256Digest.hex(image[data]), offset: data.lowerBound, size: data.count))
        }
        guard bootFiles.contains(where: { $0.name == "bootblock" && !$0.type.isFree }) else {
            throw BootError.notFound(what: "CBFS file bootblock in \(path.bootblockRegion) (coreboot measures it first)")
        }
        measure("bootblock", in: bootFiles, at: bootRange)
        for name in path.names { measure(name, in: files, at: regionRange) }

        var pcrs: [Int: [UInt8]] = [:]
        for event in events {
            let current = pcrs[event.pcr] ?? [UInt8](repeating: 0, count: 32)
            pcrs[event.pcr] = SHA256Digest.bytes(current + bytes(hex: event.digest))
        }
        let values = pcrs.mapValues { String(hex: $0) }
        let unsealTime = values[UnlockerCap.pcr] ?? zero
        return PCRPrediction(bootPath: path.name, events: events, pcrs: values, absent: absent, capped: [UnlockerCap.pcr: UnlockerCap.capped(unsealTime)])
    }

    /// Hex (as this type writes it) back to bytes.
    static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        func value(_ c: UInt8) -> UInt8 { c >= 0x61 ? c - 0x61 + 10 : (c >= 0x41 ? c - 0x41 + 10 : c - 0x30) }
        return stride(from: 0, to: digits.count - 1, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
    }
}
