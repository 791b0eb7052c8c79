import Foundation
import GRDB
import Support

/// Why the store could not do its job.
public enum StoreError: UserFacingError, Equatable {
    case lockFailed(path: String)
    /// The generation number is taken by another set hash in this store.
    case generationConflict(board: String, number: Int, recorded: String, importing: String)
    /// The set hash is already recorded under another generation number.
    case generationNumbered(board: String, setHash: String, recorded: Int, importing: Int)

    public var message: String {
        switch self {
        case .lockFailed(let path): return "cannot lock \(path)"
        case .generationConflict(let board, let number, let recorded, let importing):
            return "\(board) generation \(number) here is set \(recorded), the bundle's generation \(number) is set \(importing)"
        case .generationNumbered(let board, let setHash, let recorded, let importing):
            return "\(board) set \(setHash) is generation \(recorded) here, the bundle records it as generation \(importing) (its ROM embeds the number, so it would not rebuild identically)"
        }
    }

    public var fix: String? {
        switch self {
        case .lockFailed: return "check the permissions of OWNERBOOT_HOME (default ~/.local/share/ownerboot)"
        case .generationConflict, .generationNumbered:
            return "import into an empty home (OWNERBOOT_HOME=DIR ownerboot import …) to rebuild the generation exactly as it was recorded"
        }
    }
}
