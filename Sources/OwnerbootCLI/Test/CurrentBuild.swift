import Foundation
import Orchestrator

/// What `ownerboot test` and `ownerboot vm` boot: the board's set as this checkout builds it
/// (all cache hits when `ownerboot build` already ran), with the builder and progress display
/// they keep using (the test builds its previous release with the same builder).
struct CurrentBuild {
    let tests: BoardTests
    let builder: Builder
    let progress: ProgressRenderer
    let summary: Builder.Summary
    let artifacts: BoardTestSession.Artifacts

    /// The caller finishes `progress` (a `defer` right after, so an error clears the live
    /// display before it is printed).
    /// `scenarios`: the names asked for, checked before the build (which can take minutes).
    static func make(board: Board, json: Bool, scenarios: [String] = []) throws -> CurrentBuild {
        let tests = try TestScenarioLoader().load(board.directory.appendingPathComponent("tests.toml"))
        _ = try tests.scenarios(named: scenarios)
        let store = try Store()
        let plan = try BuildPlan.make(board: board, lock: try LockFile.load(for: board), store: store)
        let progress = ProgressRenderer.standard(json: json)
        var builder = Builder(store: store, jobs: 2)
        builder.progress = progress.sink
        do {
            let summary = try builder.build(plan)
            let artifacts = try BuiltArtifacts.of(board: board, setHash: summary.setHash, store: store)
            return CurrentBuild(tests: tests, builder: builder, progress: progress, summary: summary, artifacts: artifacts)
        } catch {
            progress.finish()
            throw error
        }
    }
}
