import Foundation

/// The build environment a board's components build in: a Debian root file system made
/// from pinned packages (the lock file pins the whole closure, name = version).
public struct BuildEnvironmentSpec: Sendable, Codable, Equatable {
    public var suite: String
    public var mirror: String
    public var variant: String
    /// The packages asked for; their closure is pinned in the lock.
    public var packages: [String]
    /// SOURCE_DATE_EPOCH for every build of the board.
    public var sourceDateEpoch: Int
}
