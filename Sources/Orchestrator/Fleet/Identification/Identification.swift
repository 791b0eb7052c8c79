import Boot
import Foundation
import Support

/// What a chip dump is: the board and generation its manifest names, and whether its bytes
/// are exactly what ownerboot built for that generation (matching), differ in named regions
/// and files (modified), or cannot be placed at all (unknown).
public struct Identification: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case matching, modified, unknown
    }
    public var state: State
    public var dumpHash: String
    public var board: String?
    public var generation: Int?
    public var setHash: String?
    /// FMAP areas whose bytes differ from the built ROM.
    public var differingRegions: [String]
    /// CBFS files whose bytes differ (or that only one side has).
    public var differingFiles: [String]
    public var reason: String?
    /// On a normal/fallback chip: the generation its write-protected half carries (the one
    /// that boots at power-on and whenever the normal set fails); `generation` is the normal half's.
    public var fallbackGeneration: Int? = nil

    public var summary: String {
        let fallback = fallbackGeneration.map { ", fallback half generation \($0)" } ?? ""
        switch state {
        case .matching: return "\(board!) generation \(generation!)\(fallback) (matching)"
        case .modified: return "\(board ?? "?") generation \(generation.map(String.init) ?? "?")\(fallback) (modified: \((differingRegions + differingFiles).joined(separator: ", ")))"
        case .unknown: return "unknown (\(reason ?? "not built by ownerboot"))"
        }
    }
}
