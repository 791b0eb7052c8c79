import Foundation

/// What ownerboot embeds in every ROM it assembles, as the raw CBFS file `ownerboot/manifest`:
/// the board, the generation, the derivation set's hash and each component's output hash.
/// Reading it back from a chip dump tells which generation a device runs.
///
/// The encoding is canonical (sorted keys, no whitespace), so equal manifests are equal bytes.
public struct OwnerbootManifest: Codable, Sendable, Equatable {
    /// The CBFS file name the manifest lives under.
    public static let cbfsName = "ownerboot/manifest"

    public var format: Int = 1
    public var board: String
    public var generation: Int
    public var setHash: String
    /// Component name -> lowercase hex SHA-256 of its output.
    public var components: [String: String]
    public var version: String?
    /// The dm-verity root hash of the OS image the ROM pins (lowercase hex), when the set has
    /// a verity-protected OS; the kernel command line carries the same value.
    public var osRootHash: String?

    public init(format: Int = 1, board: String, generation: Int, setHash: String, components: [String: String], version: String? = nil, osRootHash: String? = nil) {
        self.format = format
        self.board = board
        self.generation = generation
        self.setHash = setHash
        self.components = components
        self.version = version
        self.osRootHash = osRootHash
    }

    /// The canonical bytes: JSON with sorted keys and no whitespace.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self))
    }

    public static func decode(_ bytes: [UInt8]) throws -> OwnerbootManifest {
        do {
            return try JSONDecoder().decode(OwnerbootManifest.self, from: Data(bytes))
        } catch {
            throw BootError.malformed(what: "ownerboot manifest", offset: 0, reason: "not a manifest: \(error)")
        }
    }

    /// The manifest of a ROM or chip dump: FMAP → CBFS regions (COREBOOT first, or the
    /// whole-image CBFS without FMAP) → `ownerboot/manifest`. nil when the image has no CBFS or
    /// no manifest; throws when the CBFS or the manifest itself is damaged.
    public static func read(fromImage image: [UInt8]) throws -> OwnerbootManifest? {
        let regions = CBFS.regions(in: image, fmap: FMAP.locate(in: image)?.map)
        var walks: [Walk] = []
        for info in regions {
            guard let cbfs = try? CBFS(image: image, range: info.range, firstFileOffset: info.firstFileOffset, alignment: info.alignment) else { continue }
            walks.append(Walk(cbfs: cbfs, files: Result { try cbfs.files() }, region: info.name))
        }
        return try read(from: walks)
    }

    /// The FMAP region of a normal/fallback ROM's writable half (the normal set); its
    /// manifest is the generation the ROM was built as, COREBOOT's the protected fallback's.
    public static let normalRegion = "NORMAL"

    /// Both halves' manifests of a normal/fallback ROM (`normal` nil for a single-CBFS ROM,
    /// whose one manifest is then `fallback`).
    public static func readHalves(fromImage image: [UInt8]) throws -> (normal: OwnerbootManifest?, fallback: OwnerbootManifest?) {
        let regions = CBFS.regions(in: image, fmap: FMAP.locate(in: image)?.map)
        var walks: [Walk] = []
        for info in regions {
            guard let cbfs = try? CBFS(image: image, range: info.range, firstFileOffset: info.firstFileOffset, alignment: info.alignment) else { continue }
            walks.append(Walk(cbfs: cbfs, files: Result { try cbfs.files() }, region: info.name))
        }
        return (try read(from: walks.filter { $0.region == normalRegion }), try read(from: walks.filter { $0.region != normalRegion }))
    }

    /// One CBFS region and the result of walking it, for reading the manifest from walks that
    /// were already made (`ImageInspector` walks each region once for everything it shows).
    struct Walk {
        var cbfs: CBFS
        var files: Result<[CBFSFile], Error>
        var region = ""
    }

    /// The first region's manifest (the normal region first, then regions in order); the
    /// first error when none was found and a region or manifest was damaged.
    static func read(from walks: [Walk]) throws -> OwnerbootManifest? {
        var firstError: Error?
        for walk in walks.filter({ $0.region == normalRegion }) + walks.filter({ $0.region != normalRegion }) {
            do {
                if let file = try walk.files.get().first(where: { $0.name == cbfsName && !$0.type.isFree }) {
                    return try decode(try walk.cbfs.extract(file, limit: 1 << 20))
                }
            } catch {
                firstError = firstError ?? error
            }
        }
        if let firstError { throw firstError }
        return nil
    }

    /// Adds this manifest to the primary CBFS region of `image` (as a raw file).
    public func add(to image: inout [UInt8], region: String? = nil) throws {
        try CBFS.addRaw(to: &image, region: region, name: Self.cbfsName, data: try encoded())
    }
}
