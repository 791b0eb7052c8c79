import Boot
import Foundation
import Support

public enum ArtifactError: UserFacingError, Equatable {
    case notBuilt(board: String)
    case noComponent(board: String, component: String, generation: Int)
    case collected(path: String, board: String)
    case noManifest(path: String)
    case notTamperable(reason: String)

    public var message: String {
        switch self {
        case .notBuilt(let board): return "board \(board) has not been built yet"
        case .noComponent(let board, let component, let generation): return "generation \(generation) of \(board) has no \(component) component"
        case .collected(let path, _): return "\(path) is gone from the store (garbage-collected?)"
        case .noManifest(let path): return "\(path) carries no ownerboot manifest"
        case .notTamperable(let reason): return "cannot make the tampered ROM of a tampered scenario: \(reason)"
        }
    }

    public var fix: String? {
        switch self {
        case .notBuilt(let board), .collected(_, let board): return "run `ownerboot build board=\(board)`"
        case .noComponent: return "add the component to board.toml and build again"
        case .noManifest: return "rebuild: ownerboot adds the manifest when it assembles the ROM"
        case .notTamperable: return "use rom = \"tampered\" only on boards whose ROM carries an uncompressed Linux payload (recipes/rom/rom.sh without -c)"
        }
    }
}
