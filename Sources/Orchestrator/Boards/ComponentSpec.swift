import Foundation

/// One component of the board's set: a builder script and what it reads.
public struct ComponentSpec: Sendable, Codable, Equatable {
    public var name: String
    /// The builder script, relative to the board folder.
    public var builder: String
    /// Source names, other components' names, or files of the board folder.
    public var inputs: [String]
    public var env: [String: String]
    /// Pack a staged folder of the output into an initramfs with ownerboot's cpio writer.
    public var pack: PackSpec?
    /// `sandbox = "multi-id"`: the builder runs in a user namespace with ids 0–65535 (see
    /// `Sandbox`); nil is the ordinary single-id sandbox.
    public var sandbox: String? = nil

    /// The sandbox modes a component may ask for.
    public static let sandboxModes = ["multi-id"]
    public var multiID: Bool { sandbox == "multi-id" }
}
