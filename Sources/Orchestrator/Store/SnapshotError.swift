import Foundation
import Support

public enum SnapshotError: UserFacingError, Equatable {
    case noGeneration(board: String, number: Int)
    case noSnapshot(board: String, number: Int)
    case collected(path: String)
    case setChanged(board: String, number: Int, recorded: String, planned: String)

    public var message: String {
        switch self {
        case .noGeneration(let board, let number): return "board \(board) has no generation \(number)"
        case .noSnapshot(let board, let number): return "generation \(number) of \(board) was recorded before ownerboot kept board snapshots"
        case .collected(let path): return "the board snapshot \(path) is gone from the store"
        case .setChanged(let board, let number, let recorded, let planned):
            return "generation \(number) of \(board) recorded set \(recorded), but its snapshot now plans \(planned)"
        }
    }

    public var fix: String? {
        switch self {
        case .noGeneration(let board, _): return "`ownerboot generations board=\(board)` lists them"
        case .noSnapshot, .collected: return "check out that generation's commit and build it instead"
        case .setChanged: return "ownerboot's hashing changed since; rebuild from that generation's commit"
        }
    }
}
