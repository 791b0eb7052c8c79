import Foundation

/// A file name of a board (a builder, an input, a profile) and the file it resolved to.
public struct ResolvedFile: Sendable, Codable, Equatable {
    public enum Origin: Sendable, Codable, Equatable {
        /// The board's own folder.
        case board
        /// A recipe layer (the owner's or the shipped one).
        case layer(RecipeLayers.Layer)
    }

    /// As the board file or profile wrote it, relative: `unlocker/unlocker.sh`.
    public var name: String
    public var url: URL
    public var origin: Origin

    public init(name: String, url: URL, origin: Origin) {
        self.name = name
        self.url = url
        self.origin = origin
    }

    /// `board`, `owner` or `shipped`.
    public var originName: String {
        switch origin {
        case .board: return "board"
        case .layer(let layer): return layer.kind.rawValue
        }
    }

    /// A name a board may use: relative, without `..` or empty parts, so a lookup never leaves
    /// the folder it is made in (and a snapshot can hold the file at the same name).
    public static func isRelativeName(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("/") else { return false }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == ".." || $0 == "." }
    }
}
