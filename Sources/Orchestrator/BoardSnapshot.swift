import Foundation
import Support

/// A content-addressed copy of a board folder (board.toml, lock, builders, fragments) kept in
/// the store with each generation, so `build --generation N` can rebuild exactly that set
/// later, whatever the checkout holds by then.
public enum BoardSnapshot {
    /// Copies the board folder into the store (once per distinct content).
    public static func take(_ board: Board, store: Store) throws -> Derivation {
        let hash = try TreeHash.hash(of: board.directory)
        let derivation = Derivation(name: "board-\(board.name)", kind: .boardSnapshot, fixedOutput: hash)
        if store.contains(derivation) { return derivation }
        try store.withLock(derivation) {
            if store.contains(derivation) { return }
            let tmp = try store.temporaryDirectory(for: derivation)
            defer { try? FileManager.default.removeItem(at: tmp) }
            try FileManager.default.copyItem(at: board.directory, to: tmp.appendingPathComponent(board.name))
            try store.install(tmp, as: derivation, seconds: 0, log: nil)
        }
        return derivation
    }

    /// The board as generation `number` recorded it, and that record.
    public static func board(generation number: Int, of name: String, store: Store) throws -> (Board, Store.Generation) {
        guard let generation = try store.generations(board: name).first(where: { $0.number == number }) else {
            throw SnapshotError.noGeneration(board: name, number: number)
        }
        guard let snapshot = generation.boardSnapshot else { throw SnapshotError.noSnapshot(board: name, number: number) }
        let file = store.root.appendingPathComponent(snapshot).appendingPathComponent(name).appendingPathComponent("board.toml")
        guard FileManager.default.fileExists(atPath: file.path) else { throw SnapshotError.collected(path: file.path) }
        return (try BoardLoader().load(file), generation)
    }
}

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
