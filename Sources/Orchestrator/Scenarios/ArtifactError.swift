import Boot
import Foundation
import Support

public enum ArtifactError: UserFacingError, Equatable {
    case notBuilt(board: String)
    case noComponent(board: String, component: String, generation: Int)
    case collected(path: String, board: String)
    case noManifest(path: String)

    public var message: String {
        switch self {
        case .notBuilt(let board): return "board \(board) has not been built yet"
        case .noComponent(let board, let component, let generation): return "generation \(generation) of \(board) has no \(component) component"
        case .collected(let path, _): return "\(path) is gone from the store (garbage-collected?)"
        case .noManifest(let path): return "\(path) carries no ownerboot manifest"
        }
    }

    public var fix: String? {
        switch self {
        case .notBuilt(let board), .collected(_, let board): return "run `ownerboot build board=\(board)`"
        case .noComponent: return "add the component to board.toml and build again"
        case .noManifest: return "rebuild: ownerboot adds the manifest when it assembles the ROM"
        }
    }
}
