/// Everything `ownerboot inspect` shows about a ROM or chip dump, in one Codable value:
/// the FMAP areas (with cbfstool's `layout -w` qualifiers), each CBFS region's files (as
/// `cbfstool print -k` lists them), the embedded manifest, the payload's kernel and an Intel
/// flash descriptor's regions (as `ifdtool -d` reads them).
/// Problems in one part are recorded in `problems` and do not hide the other parts.
public struct ImageReport: Codable, Sendable, Equatable {
    public struct Area: Codable, Sendable, Equatable {
        public var name: String
        public var offset: Int
        public var size: Int
        public var flags: [String]
        /// What `cbfstool layout -w` puts in parentheses: "read-only", "CBFS" or "preserve".
        public var qualifiers: [String]
    }

    public struct Region: Codable, Sendable, Equatable {
        public var name: String
        public var offset: Int
        public var size: Int
        public var legacy: Bool
        public var files: [CBFSFile]
    }

    public struct Payload: Codable, Sendable, Equatable {
        public var region: String
        public var file: String
        public var segments: [SELFPayload.Segment]
        public var entry: UInt64?
        public var bootProtocol: String?
        public var kernelVersion: String?
    }

    public var size: Int
    public var sha256: String
    public var fmapOffset: Int?
    public var fmapName: String?
    public var fmapBase: UInt64?
    public var areas: [Area]
    public var regions: [Region]
    /// The ROM's generation: the normal half's manifest on a normal/fallback ROM.
    public var manifest: OwnerbootManifest?
    /// A normal/fallback ROM's protected half (FMAP region COREBOOT): the fallback set's
    /// generation, which may be older than `manifest`'s.
    public var fallbackManifest: OwnerbootManifest? = nil
    public var payload: Payload?
    /// The Intel flash descriptor at the start of a chip dump or full image, when there is one.
    public var descriptor: IntelFlashDescriptor? = nil
    /// The PCRs coreboot's measured boot will produce, per boot path (`PCRPrediction`).
    public var pcrs: [PCRPrediction]? = nil
    public var problems: [String]
}
