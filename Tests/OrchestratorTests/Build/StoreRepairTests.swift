import Foundation
import Support
import Testing
@testable import Orchestrator

/// `store verify --repair`: entries whose bytes changed after they entered the store (the
/// builder position's poison, or a disk error) are made again — a component rebuilt from its
/// generation's snapshot, a .deb and a source fetched again — each back at its recorded hash,
/// and every entry verify did not name is left exactly as it was.
@Suite(.serialized) struct StoreRepairTests {
    /// Every entry's folder, its inode and change time: what "untouched" means.
    func identities(_ store: Store, except: Set<String>) throws -> [String: String] {
        var result: [String: String] = [:]
        for output in try store.outputs() where !except.contains(output.hash) {
            var info = stat()
            _ = lstat(store.path(hash: output.hash, name: output.name).path, &info)
            result[output.name] = "\(info.st_ino) \(info.st_ctim.tv_sec).\(info.st_ctim.tv_nsec) \(output.contentHash)"
        }
        return result
    }

    func alter(_ file: URL) throws {
        _ = chmod(file.deletingLastPathComponent().path, 0o755)
        _ = chmod(file.path, 0o644)
        var bytes = [UInt8](try Data(contentsOf: file))
        bytes[bytes.count / 2] ^= 0x01
        try Data(bytes).write(to: file)
    }

    @Test func changedEntriesAreMadeAgainAndTheOthersAreUntouched() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let lock = try board.lock
        _ = try board.fetcher(store).fetch(lock)
        let plan = try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store)
        var builder = board.fixture.builder()
        _ = try builder.build(plan)
        builder.recordsGeneration = false
        let repairer = StoreRepair(store: store, builder: builder, fetcher: board.fetcher(store))
        // The control: nothing corrupt, nothing done.
        #expect(try store.verify().isEmpty)
        #expect(try repairer.repair([]).isEmpty)

        let component = plan.step(named: "independent")!.derivation
        let deb = board.packages[0].derivation!
        let source = lock.sourceDerivation("notes")!
        try alter(store.path(of: component).appendingPathComponent("note.txt"))
        try alter(store.path(of: deb).appendingPathComponent(board.packages[0].debFileName))
        try alter(store.path(of: source).appendingPathComponent(board.sourceFile.name))
        let corrupt = try store.verify()
        #expect(Set(corrupt.map(\.output)) == [component.storeName, deb.storeName, source.storeName])
        let before = try identities(store, except: [component.hash, deb.hash, source.hash])

        let actions = try repairer.repair(corrupt)
        #expect(actions.map(\.output) == corrupt.map(\.output))
        for action in actions {
            let expected: StoreRepair.Action.Outcome = action.output == component.storeName ? .rebuilt : .refetched
            #expect(action.outcome == expected && action.detail.hasPrefix("matches the recorded hash"), "\(action)")
        }
        #expect(try store.verify().isEmpty)
        #expect(try String(contentsOf: store.path(of: component).appendingPathComponent("note.txt"), encoding: .utf8) == "independent\n")
        #expect(try identities(store, except: [component.hash, deb.hash, source.hash]) == before, "an entry verify did not name was touched")
        #expect(try store.generations(board: "fixture").count == 1)
    }

    @Test func anEntryNoGenerationNeedsIsRemoved() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let store = fixture.store
        var builder = fixture.builder()
        builder.recordsGeneration = false
        let plan = try fixture.plan()
        _ = try builder.build(plan)   // no generation recorded: nothing needs these outputs
        let component = plan.step(named: "independent")!.derivation
        try alter(store.path(of: component).appendingPathComponent("note.txt"))
        let repairer = StoreRepair(store: store, builder: builder, fetcher: InputFetcher(store: store))
        let actions = try repairer.repair(try store.verify())
        #expect(actions == [.init(output: component.storeName, outcome: .removed, detail: "no recorded generation needs it; a build that does makes it again")])
        #expect(!store.contains(component))
        #expect(try store.verify().isEmpty)
    }
}
