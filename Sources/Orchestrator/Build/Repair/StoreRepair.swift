import Foundation
import Support

/// `ownerboot store verify --repair` (as `nix store verify --repair`): each entry verify found
/// changed or missing is removed from the store and made again from what pins it, then checked
/// against the hash the store had recorded:
/// - a .deb, a source or Debian's archive metadata is fetched again (`InputFetcher`, checked
///   against the lock of a generation that pins it, as every fetch is);
/// - a build environment, repository or component is rebuilt from the board snapshot of a
///   generation that lists it (`Builder`, the generation's set hash checked first);
/// - a board snapshot is taken again from the boards folder when the board there still
///   snapshots to the same hash; otherwise it stays, reported (nothing else holds those files);
/// - an attestation came with a bundle and stays, reported (import the bundle again);
/// - an entry no generation needs is removed (a build that needs it makes it again).
/// Entries verify did not name are never touched (builds find them cached).
public struct StoreRepair: Sendable {
    public var store: Store
    /// Configured by the caller (jobs, and in tests the host's /usr); never records a generation.
    public var builder: Builder
    public var fetcher: InputFetcher
    /// The board of that name in the boards folder, for a snapshot to be taken again.
    public var currentBoard: @Sendable (String) -> Board?

    public init(store: Store, builder: Builder, fetcher: InputFetcher, currentBoard: @escaping @Sendable (String) -> Board? = { _ in nil }) {
        self.store = store
        self.builder = builder
        self.builder.recordsGeneration = false
        self.fetcher = fetcher
        self.currentBoard = currentBoard
    }

    public struct Action: Sendable, Codable, Equatable {
        public enum Outcome: String, Sendable, Codable {
            case rebuilt, refetched = "re-fetched", restored, removed, notRepaired = "not-repaired"
        }
        public var output: String
        public var outcome: Outcome
        /// What was done and the hash it has now, or why nothing could be.
        public var detail: String
    }

    public func repair(_ corrupt: [Store.Corruption], progress: ProgressSink = { _ in }) throws -> [Action] {
        let outputs = Dictionary(try store.outputs().map { ("\($0.hash)-\($0.name)", $0) }, uniquingKeysWith: { first, _ in first })
        let generations = try store.allGenerations()
        var actions: [String: Action] = [:]
        var discarded: [Store.Output] = []
        for item in corrupt {
            guard let output = outputs[item.output] else { continue }
            switch Derivation.Kind(rawValue: output.kind) {
            case .attestation?:
                actions[item.output] = Action(output: item.output, outcome: .notRepaired, detail: "it came with an imported bundle and nothing else holds it: import that bundle again")
            case .boardSnapshot?:
                actions[item.output] = try retake(output, name: item.output)
            default:
                try store.discard(hash: output.hash, name: output.name)
                discarded.append(output)
            }
        }
        // Every generation that needs a discarded entry makes it again: fixed inputs by fetch,
        // the rest by a build of the generation's snapshot (cached steps stay as they are).
        let wanted = Set(discarded.map(\.hash))
        var failures: [String: String] = [:]
        for generation in generations {
            let lock = try? GenerationInputs.lock(of: generation, store: store)
            let pinned = Set(lock.map { GenerationInputs.pinnedEntries(of: $0).map(\.hash) } ?? [])
            let needed = wanted.intersection(Set(generation.derivations).union(pinned)).filter { !store.contains(hash: $0, in: discarded) }
            guard !needed.isEmpty else { continue }
            do {
                let (board, _) = try BoardSnapshot.board(generation: generation.number, of: generation.board, store: store)
                let lock = try LockFile.load(for: board)
                if !needed.isDisjoint(with: pinned) { _ = try fetcher.fetch(lock, progress: progress) }
                let plan = try BuildPlan.make(board: board, lock: lock, store: store)
                guard plan.setHash == generation.setHash else {
                    throw SnapshotError.setChanged(board: generation.board, number: generation.number, recorded: generation.setHash, planned: plan.setHash)
                }
                if !needed.isDisjoint(with: Set(plan.steps.map(\.derivation.hash))) { _ = try builder.build(plan) }
            } catch {
                for hash in needed { failures[hash] = "\(generation.board) generation \(generation.number): \((error as? UserFacingError)?.message ?? "\(error)")" }
            }
        }
        for output in discarded {
            let name = "\(output.hash)-\(output.name)"
            let fixed = [.package, .source, .archive].contains(Derivation.Kind(rawValue: output.kind))
            if let now = try store.output(hash: output.hash), FileManager.default.fileExists(atPath: store.path(hash: output.hash, name: output.name).path) {
                let same = now.contentHash == output.contentHash
                actions[name] = Action(output: name, outcome: fixed ? .refetched : .rebuilt,
                                       detail: same ? "matches the recorded hash \(output.contentHash.prefix(16)) again"
                                                    : "recorded \(output.contentHash.prefix(16)), made again as \(now.contentHash.prefix(16)): not bit-identical (`build --check` on its generation tells why)")
            } else if let failure = failures[output.hash] {
                actions[name] = Action(output: name, outcome: .notRepaired, detail: "removed, but making it again failed: \(failure)")
            } else {
                actions[name] = Action(output: name, outcome: .removed, detail: "no recorded generation needs it; a build that does makes it again")
            }
        }
        return corrupt.compactMap { actions[$0.output] }
    }

    /// A snapshot is taken again only when the boards folder still holds exactly its files.
    func retake(_ output: Store.Output, name: String) throws -> Action {
        let boardName = String(output.name.dropFirst("board-".count))
        guard let board = currentBoard(boardName) else {
            return Action(output: name, outcome: .notRepaired, detail: "no board \(boardName) in the boards folder to take it from: check out the commit it was built from, then repair again")
        }
        let staging = store.root.appendingPathComponent(".tmp/repair-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: staging) }
        try BoardRecipeFiles.materialize(board, at: staging)
        let hash = try TreeHash.hash(of: staging)
        let derivation = Derivation(name: output.name, kind: .boardSnapshot, fixedOutput: hash)
        guard derivation.hash == output.hash else {
            return Action(output: name, outcome: .notRepaired, detail: "boards/\(boardName) has changed since (it snapshots to \(derivation.hash.prefix(16))): check out the commit it was built from, then repair again")
        }
        try store.discard(hash: output.hash, name: output.name)
        _ = try BoardSnapshot.take(board, store: store)
        return Action(output: name, outcome: .restored, detail: "taken again from \(board.directory.path), the same files")
    }
}

extension Store {
    /// Whether `hash` is one of `discarded` and is back in the store (made again meanwhile).
    fileprivate func contains(hash: String, in discarded: [Output]) -> Bool {
        guard let output = discarded.first(where: { $0.hash == hash }) else { return false }
        return (try? self.output(hash: hash)) != nil && FileManager.default.fileExists(atPath: path(hash: hash, name: output.name).path)
    }
}
