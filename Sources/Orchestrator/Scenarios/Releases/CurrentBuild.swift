import Foundation
import Support

/// What `ownerboot test` and `ownerboot vm` boot: the board's set as this checkout builds it
/// (all cache hits when `ownerboot build` already ran), with the builder they keep using (the
/// test builds its previous release with the same builder, store and progress).
public struct CurrentBuild: Sendable {
    public var tests: BoardTests
    public var builder: Builder
    public var summary: Builder.Summary
    public var artifacts: BoardTestSession.Artifacts

    public init(tests: BoardTests, builder: Builder, summary: Builder.Summary, artifacts: BoardTestSession.Artifacts) {
        self.tests = tests
        self.builder = builder
        self.summary = summary
        self.artifacts = artifacts
    }

    /// Loads the board's `tests.toml`, checks the scenario names asked for (`scenarios`, before
    /// the build, which can take minutes), builds the board's set in the default store with
    /// `progress` hearing the build, and finds what the tests need in the store.
    public static func make(board: Board, scenarios: [String] = [], progress: ProgressSink? = nil) throws -> CurrentBuild {
        let tests = try TestScenarioLoader().load(board.directory.appendingPathComponent("tests.toml"))
        _ = try tests.scenarios(named: scenarios)
        let store = try Store()
        let plan = try BuildPlan.make(board: board, lock: try LockFile.load(for: board), store: store)
        var builder = Builder(store: store, jobs: 2)
        builder.progress = progress
        let summary = try builder.build(plan)
        let artifacts = try BuiltArtifacts.of(board: board, setHash: summary.setHash, store: store)
        return CurrentBuild(tests: tests, builder: builder, summary: summary, artifacts: artifacts)
    }
}
