import Foundation
import Support

/// Finds the boards of a checkout: every `boards/<name>/board.toml` below one directory.
/// It only lists; `BoardLoader` reads and checks a board file.
public struct BoardCatalog: Sendable {
    public let directory: URL
    /// Where the boards' builders, inputs and profiles are found after their own folders.
    public let layers: RecipeLayers

    /// `layers`: by default the owner's recipe folders named by the environment, a `recipes/`
    /// beside `directory`, and the recipes shipped with ownerboot.
    public init(directory: URL, layers: RecipeLayers? = nil) {
        self.directory = directory
        self.layers = layers ?? RecipeLayers.locate(boardsDirectory: directory)
    }

    /// The boards directory to use, the first of: `override` (`--boards-dir`),
    /// `OWNERBOOT_BOARDS`, the first `boards/` found walking up from `currentDirectory` (so
    /// commands work from any folder of a checkout), and `boards = "…"` in `configFile`
    /// (an installed `ownerboot` run anywhere finds the owner's own boards). When none
    /// applies the error says where it looked and how to configure it.
    public static func locate(override: String? = nil, configFile: URL? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> BoardCatalog {
        let config = try configFile.map { try OwnerbootConfig.load($0, environment: environment) }
        func catalog(_ url: URL) -> BoardCatalog {
            BoardCatalog(directory: url, layers: RecipeLayers.locate(boardsDirectory: url, config: config, environment: environment))
        }
        func existing(_ url: URL, _ source: String) throws -> BoardCatalog {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue else {
                throw BoardError.boardsDirectoryMissing(path: url.path, source: source)
            }
            return catalog(url)
        }
        if let override { return try existing(URL(fileURLWithPath: override), "--boards-dir") }
        if let path = environment["OWNERBOOT_BOARDS"], !path.isEmpty { return try existing(URL(fileURLWithPath: path), "OWNERBOOT_BOARDS") }
        var dir = currentDirectory.standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent("boards")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue {
                return catalog(candidate)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        if let configFile, let boards = config?.boards {
            return try existing(boards, "boards in \(configFile.path)")
        }
        throw BoardError.noBoardsDirectory(searchedFrom: currentDirectory.standardizedFileURL.path, configFile: configFile?.path)
    }

    /// Names of the boards, sorted.
    public func names() throws -> [String] {
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return entries.filter {
            FileManager.default.fileExists(atPath: directory.appendingPathComponent($0).appendingPathComponent("board.toml").path)
        }.sorted()
    }

    public func boardFile(_ name: String) -> URL {
        directory.appendingPathComponent(name).appendingPathComponent("board.toml")
    }

    /// Loads one board by name; an unknown name lists the known ones and the nearest match.
    public func load(_ name: String) throws -> Board {
        let known = try names()
        guard known.contains(name) else {
            throw BoardError.unknownBoard(name: name, known: known, suggestion: NearMiss.closest(to: name, in: known))
        }
        return try BoardLoader(layers: layers).load(boardFile(name))
    }

    /// Loads every board, stopping at the first that does not parse.
    public func loadAll() throws -> [Board] {
        try names().map { try BoardLoader(layers: layers).load(boardFile($0)) }
    }
}
