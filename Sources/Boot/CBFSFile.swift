/// One file of a CBFS region, as its header and attributes describe it.
///
/// Offsets are relative to the start of the region (as `cbfstool print` reports them);
/// `metadataSize` is the header's data offset, so `totalSize` matches cbfstool's column.
public struct CBFSFile: Codable, Sendable, Equatable {
    public var name: String
    /// Offset of the `LARCHIVE` header from the start of the region.
    public var offset: Int
    public var type: CBFSFileType
    public var metadataSize: Int
    public var dataSize: Int
    public var compression: CBFSCompression
    /// Size after decompression, when the file is compressed.
    public var decompressedSize: Int?
    public var hash: CBFSFileHash?
    /// From a stage header attribute (`StgH`): where the stage loads and starts.
    public var stage: CBFSStageHeader?
    public var position: UInt32?
    public var alignment: UInt32?

    public var totalSize: Int { metadataSize + dataSize }
    /// Offset of the file's data from the start of the region.
    public var dataOffset: Int { offset + metadataSize }
    /// cbfstool prints "(empty)" for nameless free entries.
    public var displayName: String { name.isEmpty ? "(empty)" : name }
}

/// A hash attribute (`Hash`): algorithm, stored digest and whether the data matches it.
public struct CBFSFileHash: Codable, Sendable, Equatable {
    /// vboot's algorithm number: 1 SHA1, 2 SHA256, 3 SHA512, 4 SHA224, 5 SHA384.
    public var algorithm: UInt32
    public var digest: String
    /// nil when this algorithm cannot be checked here (only SHA-256 is).
    public var valid: Bool?

    public var algorithmName: String {
        switch algorithm {
        case 1: return "SHA1"
        case 2: return "SHA256"
        case 3: return "SHA512"
        case 4: return "SHA224"
        case 5: return "SHA384"
        default: return "algorithm \(algorithm)"
        }
    }

    /// SHA-512's 64 bytes: the most of an unknown algorithm's digest that is kept.
    static let longestDigest = 64

    static func digestSize(_ algorithm: UInt32) -> Int? {
        switch algorithm {
        case 1: return 20
        case 2: return 32
        case 3: return 64
        case 4: return 28
        case 5: return 48
        default: return nil
        }
    }
}

/// A stage's load address, memory size and entry point (coreboot 4.15 `StgH` attribute).
public struct CBFSStageHeader: Codable, Sendable, Equatable {
    public var loadAddress: UInt64
    public var memoryLength: UInt32
    public var entryOffset: UInt32
    public var entry: UInt64 { loadAddress &+ UInt64(entryOffset) }
}
