import Foundation
import Support

/// A content-addressed copy of a board folder (board.toml, lock, fragments) and of every recipe
/// file it resolved from the layers (builders, inputs, profiles, at their names), kept in the
/// store with each generation, so `build --generation N` can rebuild exactly that set later,
/// whatever the checkout or the installed recipes hold by then: the snapshot reads with no
/// layer at all.
public enum BoardSnapshot {
    /// Copies the board folder and its resolved recipe files into the store (once per
    /// distinct content). A symbolic link that stays inside its folder (the boards folder, the
    /// recipe layer) is copied as the file it points to, so the snapshot stands alone and its
    /// hash covers what the link pointed at; a link out of it or a loop is refused
    /// (`BoardFolderCopy`), and modes are clamped to 0755/0644 (`StoredMode`).
    public static func take(_ board: Board, store: Store) throws -> Derivation {
        let staging = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-snapshot-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        try BoardRecipeFiles.materialize(board, at: staging)
        let hash = try TreeHash.hash(of: staging)
        let derivation = Derivation(name: "board-\(board.name)", kind: .boardSnapshot, fixedOutput: hash)
        if store.contains(derivation) { return derivation }
        try store.withLock(derivation) {
            if store.contains(derivation) { return }
            let tmp = try store.temporaryDirectory(for: derivation)
            defer { try? FileManager.default.removeItem(at: tmp) }
            try FileManager.default.copyItem(at: staging, to: tmp.appendingPathComponent(board.name))
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
