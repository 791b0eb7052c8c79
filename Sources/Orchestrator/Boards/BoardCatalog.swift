import Foundation
import Support

/// Finds the boards of a checkout: every `boards/<name>/board.toml` below one directory.
/// It only lists; `BoardLoader` reads and checks a board file.
public struct BoardCatalog: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// The boards directory to use: `OWNERBOOT_BOARDS` if set, otherwise the first `boards/`
    /// found walking up from the current directory (so commands work from any subfolder).
    public static func locate(override: String? = nil) throws -> BoardCatalog {
        if let path = override ?? ProcessInfo.processInfo.environment["OWNERBOOT_BOARDS"] {
            let url = URL(fileURLWithPath: path)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw BoardError.boardsDirectoryMissing(path: url.path)
            }
            return BoardCatalog(directory: url)
        }
        var dir = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        while true {
            let candidate = dir.appendingPathComponent("boards")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDir), isDir.boolValue {
                return BoardCatalog(directory: candidate)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw BoardError.boardsDirectoryMissing(path: FileManager.default.currentDirectoryPath + "/boards")
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
        return try BoardLoader().load(boardFile(name))
    }

    /// Loads every board, stopping at the first that does not parse.
    public func loadAll() throws -> [Board] {
        try names().map { try BoardLoader().load(boardFile($0)) }
    }
}
