import Foundation

/// Every file a board's set is made from that its own folder does not hold: builders, file
/// inputs, the overlay, the chipset-lock fragment and the profiles, as the layers resolved
/// them. A board snapshot copies them in at their names, so the snapshot resolves each name
/// to the same bytes with no layer at all.
public enum BoardRecipeFiles {
    public static func fromLayers(of board: Board) -> [ResolvedFile] {
        var names: [String] = []
        for component in board.components {
            names.append(component.builder)
            let named = Set(board.sources.map(\.name) + board.components.map(\.name) + [OSSpec.packagesInput])
            names += component.inputs.filter { !named.contains($0) }
        }
        if let overlay = board.os?.overlay { names.append(overlay) }
        if let config = board.chipsetProtect?.config { names.append(config) }
        var seen = Set<String>()
        let files = names.filter { seen.insert($0).inserted }.compactMap(board.resolve) + board.profiles
        return files.filter { $0.origin != .board }
    }

    /// What `materialize` would refuse (a link out of its folder, a loop, too many files), found
    /// before anything is built: the board folder and each file of `fromLayers(of:)` walked
    /// without copying.
    public static func checkLinks(_ board: Board) throws {
        let directory = board.directory.standardizedFileURL
        try BoardFolderCopy.check(directory.lastPathComponent, in: directory.deletingLastPathComponent())
        for file in fromLayers(of: board) {
            switch file.origin {
            case .layer(let layer): try BoardFolderCopy.check(file.name, in: layer.directory)
            case .board: try BoardFolderCopy.check(file.name, in: directory)
            }
        }
    }

    /// Copies the board folder to `destination` and each file of `fromLayers(of:)` into it at
    /// its name, links resolved within the folder each comes from (`BoardFolderCopy`): the
    /// boards folder for the board's own files, the recipe layer for a recipe.
    public static func materialize(_ board: Board, at destination: URL) throws {
        let directory = board.directory.standardizedFileURL
        try BoardFolderCopy.copy(directory.lastPathComponent, in: directory.deletingLastPathComponent(), to: destination)
        for file in fromLayers(of: board) {
            let target = destination.appendingPathComponent(file.name)
            if FileManager.default.fileExists(atPath: target.path) { continue }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            switch file.origin {
            case .layer(let layer): try BoardFolderCopy.copy(file.name, in: layer.directory, to: target)
            case .board: try BoardFolderCopy.copy(file.name, in: directory, to: target)
            }
        }
    }
}
