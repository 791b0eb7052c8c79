import Foundation
import Support
import TOMLKit

/// The user's settings file, `$OWNERBOOT_HOME/config.toml`, for an `ownerboot` installed
/// outside the repository:
///
///     boards = "~/src/my-boards/boards"     # where the owner keeps their boards
///     recipes = ["~/src/my-boards/recipes"] # the owner's recipe folders, searched before
///                                           # ownerboot's own (a string for one folder)
///
/// A relative path is relative to the file's folder, `~/` is the user's home. A missing file
/// is an empty configuration; a malformed one is an error naming the file, line and key.
public struct OwnerbootConfig: Sendable, Equatable {
    public static let keys = ["boards", "recipes"]

    /// The file it was read from.
    public var file: URL
    /// The boards directory, resolved to an absolute path.
    public var boards: URL?
    /// The owner's recipe folders, resolved to absolute paths, in search order.
    public var recipes: [URL] = []

    public init(file: URL, boards: URL? = nil, recipes: [URL] = []) {
        self.file = file
        self.boards = boards
        self.recipes = recipes
    }

    public static func load(_ file: URL, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> OwnerbootConfig {
        guard FileManager.default.fileExists(atPath: file.path) else { return OwnerbootConfig(file: file) }
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw BoardError.unreadable(file: file.path, reason: error.localizedDescription)
        }
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw BoardError.syntax(file: file.path, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        }
        let lines = SourceLines(text)
        for key in root.keys where !keys.contains(key) {
            throw BoardError.unknownKey(file: file.path, line: lines.lineOfKey(key, in: nil), key: key, suggestion: NearMiss.closest(to: key, in: keys))
        }
        var config = OwnerbootConfig(file: file)
        if let value = root["boards"] {
            guard let path = value.string, !path.isEmpty else {
                throw BoardError.wrongType(file: file.path, line: lines.lineOfKey("boards", in: nil), key: "boards", expected: "a path in quotes, e.g. boards = \"~/src/my-boards/boards\"")
            }
            config.boards = resolve(path, relativeTo: file.deletingLastPathComponent(), home: environment["HOME"] ?? NSHomeDirectory())
        }
        if let value = root["recipes"] {
            let paths = value.string.map { [$0] } ?? value.array?.compactMap(\.string)
            guard let paths, !paths.isEmpty, paths.count == value.array?.count ?? 1, paths.allSatisfy({ !$0.isEmpty }) else {
                throw BoardError.wrongType(file: file.path, line: lines.lineOfKey("recipes", in: nil), key: "recipes", expected: "a path or an array of paths in quotes, e.g. recipes = [\"~/src/my-boards/recipes\"]")
            }
            config.recipes = paths.map { resolve($0, relativeTo: file.deletingLastPathComponent(), home: environment["HOME"] ?? NSHomeDirectory()) }
        }
        return config
    }

    static func resolve(_ path: String, relativeTo base: URL, home: String) -> URL {
        if path == "~" { return URL(fileURLWithPath: home) }
        if path.hasPrefix("~/") { return URL(fileURLWithPath: home).appendingPathComponent(String(path.dropFirst(2))) }
        if path.hasPrefix("/") { return URL(fileURLWithPath: path) }
        return base.appendingPathComponent(path).standardizedFileURL
    }
}
