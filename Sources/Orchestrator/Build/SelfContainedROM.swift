import Foundation
import Support

/// A generation's ROM with that generation in both halves: what `ownerboot promote` writes so
/// the generation becomes the board's fallback. The ROM a normal build records may carry an
/// older fallback half (board.toml's `fallback_generation`, or the last promoted one), so this
/// plans the generation's set again with no fallback input, from its board snapshot, and
/// builds what is missing: every component but the ROM is a cache hit, the ROM is a quick
/// cbfstool assembly. The set hash must be the recorded one, so it is that generation.
public enum SelfContainedROM {
    /// The ROM built: generation, its derivation hash (the store folder `<hash>-rom`) and file.
    public struct Built: Sendable, Equatable {
        public var generation: Int
        public var derivationHash: String
        public var rom: URL
    }

    /// `generation` nil: the board's latest. `progress` hears the derivations really built.
    public static func build(board: Board, generation: Int?, store: Store, progress: ProgressSink? = nil) throws -> Built {
        let recorded = try store.generations(board: board.name)
        guard let number = generation ?? recorded.last?.number else { throw SnapshotError.noGeneration(board: board.name, number: 1) }
        guard let record = recorded.first(where: { $0.number == number }) else { throw SnapshotError.noGeneration(board: board.name, number: number) }
        // The generation's own board files; one recorded before snapshots: the checkout's.
        let source: Board
        do { source = try BoardSnapshot.board(generation: number, of: board.name, store: store).0 } catch SnapshotError.noSnapshot { source = board }
        let plan = try BuildPlan.make(board: source, lock: try LockFile.load(for: source), store: store, selfContained: true)
        guard plan.setHash == record.setHash else {
            throw SnapshotError.setChanged(board: board.name, number: number, recorded: record.setHash, planned: plan.setHash)
        }
        guard let step = plan.step(named: BuildPlan.romComponent) else { throw BuildError.missingInput(derivation: board.name, input: BuildPlan.romComponent) }
        var builder = Builder(store: store)
        builder.progress = progress
        // Not recorded: the generation keeps the ROM its build made; this one is promote's.
        builder.recordsGeneration = false
        _ = try builder.build(plan)
        return Built(generation: number, derivationHash: step.derivation.hash,
                     rom: store.path(of: step.derivation).appendingPathComponent("\(board.name).rom"))
    }
}
