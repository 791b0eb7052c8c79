import Foundation
import Support
import Testing
@testable import Orchestrator

/// Real builds of the fixture board in the bubblewrap sandbox.
@Suite(.serialized) struct BuildTests {
    func hashes(_ plan: BuildPlan) -> [String: String] {
        Dictionary(uniqueKeysWithValues: plan.steps.map { ($0.derivation.name, $0.derivation.hash) })
    }

    @Test func sameInputsSameHashesAndASecondBuildIsAllCacheHits() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let plan = try fixture.plan()
        #expect(hashes(plan) == hashes(try fixture.plan()))
        let first = try fixture.builder().build(plan)
        #expect(Set(first.built) == ["hello", "bundle", "independent"])
        let said = try String(contentsOfFile: first.outputs["hello"]! + "/said.txt", encoding: .utf8)
        #expect(said == "hello\n")
        let second = try fixture.builder().build(try fixture.plan())
        #expect(second.built.isEmpty)
        #expect(second.generation == first.generation)
        #expect(try fixture.store.verify().isEmpty)
    }

    @Test func anInputChangeRehashesThatDerivationAndItsDependentsOnly() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let before = hashes(try fixture.plan())
        try fixture.write("hello.c", "#include <stdio.h>\nint main(void) { puts(GREETING \"!\"); return 0; }\n")
        let afterSource = hashes(try fixture.plan())
        #expect(afterSource["hello"] != before["hello"])
        #expect(afterSource["bundle"] != before["bundle"])
        #expect(afterSource["independent"] == before["independent"])
        #expect(afterSource["buildenv"] == before["buildenv"])

        try fixture.write("board.toml", FixtureBoard.boardToml.replacingOccurrences(of: "GREETING = \"hello\"", with: "GREETING = \"howdy\""))
        let afterEnv = hashes(try fixture.plan())
        #expect(afterEnv["hello"] != afterSource["hello"])
        #expect(afterEnv["independent"] == before["independent"])

        try fixture.write("hello.sh", "gcc -O1 -DGREETING=\\\"$GREETING\\\" -o /out/hello /inputs/hello.c\n")
        #expect(hashes(try fixture.plan())["hello"] != afterEnv["hello"])
    }

    @Test func aDifferentBuildEnvironmentChangesEveryComponent() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        var lock = try fixture.lock
        let before = hashes(try BuildPlan.make(board: try fixture.board, lock: lock, store: fixture.store))
        lock.buildenv!.packages[0].version = "4:12.2.0-4"
        let after = hashes(try BuildPlan.make(board: try fixture.board, lock: lock, store: fixture.store))
        #expect(Set(["buildenv", "hello", "bundle", "independent"]).allSatisfy { before[$0] != after[$0] })
    }

    /// A builder outcome inside the sandbox, and the same command outside as the control
    /// that shows the test could fail.
    func sandboxRefuses(_ script: String, fixture: FixtureBoard, control: () throws -> Bool) throws {
        #expect(try control(), "the control must succeed outside the sandbox")
        // The sandbox itself works: the fixture builds before the script is swapped in.
        try fixture.write("independent.sh", "cp /inputs/note.txt /out/note.txt\n")
        _ = try fixture.builder().build(try fixture.plan())
        try fixture.write("independent.sh", script)
        do {
            _ = try fixture.builder().build(try fixture.plan())
            Issue.record("the sandbox let `\(script)` succeed")
        } catch let BuildError.builderFailed(derivation, _, _, _) {
            #expect(derivation == "independent")
        }
        #expect(!fixture.store.contains(try fixture.plan().step(named: "independent")!.derivation))
    }

    @Test func theSandboxHasNoNetwork() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let listener = try LoopbackListener()
        defer { listener.close() }
        let connect = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(listener.port)), timeout=3)'"
        try sandboxRefuses(connect + "\n", fixture: fixture) {
            try ProcessRunner(timeout: 10).run("sh", ["-c", connect]).succeeded
        }
    }

    @Test func theSandboxCannotReadTheHostsHome() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let secret = URL(fileURLWithPath: NSHomeDirectory()).appendingPathComponent(".ownerboot-sandbox-probe-\(UUID().uuidString)")
        try Data("secret".utf8).write(to: secret)
        defer { try? FileManager.default.removeItem(at: secret) }
        try sandboxRefuses("cat \(secret.path) > /out/leak\n", fixture: fixture) {
            FileManager.default.isReadableFile(atPath: secret.path)
        }
    }

    @Test func theSandboxCannotWriteOutsideOut() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try sandboxRefuses("echo x > /usr/ownerboot-escape\n", fixture: fixture) { true }
        #expect(!FileManager.default.fileExists(atPath: "/usr/ownerboot-escape"))
        try sandboxRefuses("echo x > /inputs/note.txt\n", fixture: fixture) { true }
        #expect(try String(contentsOf: fixture.directory.appendingPathComponent("note.txt"), encoding: .utf8) == "independent\n")
    }

    @Test func checkCatchesABuilderThatEmbedsTheTime() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try fixture.write("independent.sh", "date +%s%N > /out/stamp\n")
        do {
            _ = try fixture.builder(check: true).build(try fixture.plan())
            Issue.record("a time-embedding builder passed --check")
        } catch let BuildError.notReproducible(derivation, _, _, files) {
            #expect(derivation == "independent")
            #expect(files == ["stamp"])
        }
        // Deterministic builders pass the same check.
        try fixture.write("independent.sh", "echo same > /out/stamp\n")
        let summary = try fixture.builder(check: true).build(try fixture.plan())
        #expect(Set(summary.checked) == ["hello", "bundle", "independent"])
    }

    @Test func debrisOfAnInterruptedBuildIsNotAnOutputAndIsReplaced() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let step = try fixture.plan().step(named: "independent")!
        // What a kill between the rename and the index write leaves: a folder, no record.
        let target = fixture.store.path(of: step.derivation)
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try Data("half".utf8).write(to: target.appendingPathComponent("note.txt"))
        // And what a kill mid-build leaves: a temporary folder.
        _ = try fixture.store.temporaryDirectory(for: step.derivation)
        #expect(!fixture.store.contains(step.derivation))
        let summary = try fixture.builder().build(try fixture.plan())
        #expect(summary.built.contains("independent"))
        #expect(try String(contentsOf: target.appendingPathComponent("note.txt"), encoding: .utf8) == "independent\n")
        #expect(try fixture.store.verify().isEmpty)
        _ = try fixture.store.collectGarbage()
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.store.root.appendingPathComponent(".tmp").path).isEmpty)
    }

    @Test func aNewSetBecomesTheNextGeneration() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let first = try fixture.builder().build(try fixture.plan())
        try fixture.write("note.txt", "changed\n")
        let second = try fixture.builder().build(try fixture.plan())
        #expect(second.generation == first.generation + 1)
        #expect(second.built == ["independent"])
        #expect(try fixture.store.generations(board: "fixture").map(\.number) == [1, 2])
    }
}

@Suite(.serialized) struct RebuildFromRecordTests {
    @Test func aGenerationIsRebuiltFromItsRecordAfterTheBoardChanged() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let first = try fixture.builder().build(try fixture.plan())
        try fixture.write("note.txt", "changed\n")
        let second = try fixture.builder().build(try fixture.plan())
        #expect(second.generation == first.generation + 1)

        // Lose generation 1's own output, then rebuild it from its record.
        let lost = URL(fileURLWithPath: first.outputs["independent"]!)
        try FileManager.default.removeItem(at: lost)
        let (board, record) = try BoardSnapshot.board(generation: first.generation, of: "fixture", store: fixture.store)
        let plan = try BuildPlan.make(board: board, lock: try LockFile.load(for: board), store: fixture.store)
        #expect(plan.setHash == record.setHash)
        let rebuilt = try fixture.builder().build(plan)
        #expect(rebuilt.generation == first.generation)
        #expect(rebuilt.built == ["independent"])
        #expect(try String(contentsOf: lost.appendingPathComponent("note.txt"), encoding: .utf8) == "independent\n")
    }
}

@Suite(.serialized) struct SharedStoreTests {
    /// Two builders with their own store connections (as two `ownerboot build` processes have)
    /// build the same board at once: each output is built once, both succeed, the store verifies.
    @Test func twoBuildsAtOnceShareTheStore() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try fixture.write("independent.sh", "sleep 1\ncp /inputs/note.txt /out/note.txt\n")
        let other = try Store(home: fixture.home)
        let summaries = SummaryBox()
        let group = DispatchGroup()
        for store in [fixture.store, other] {
            DispatchQueue.global().async(group: group) {
                var builder = Builder(store: store, jobs: 2)
                builder.extraReadOnlyBinds = [("/usr", "/usr")]
                summaries.add(Result { try builder.build(try BuildPlan.make(board: try fixture.board, lock: try fixture.lock, store: store)) })
            }
        }
        group.wait()
        let results = try summaries.all.map { try $0.get() }
        #expect(results.count == 2)
        #expect(results[0].generation == results[1].generation)
        // Every component was built by exactly one of the two.
        #expect(results.flatMap(\.built).sorted() == ["bundle", "hello", "independent"])
        #expect(try fixture.store.verify().isEmpty)
    }
}

final class SummaryBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [Result<Builder.Summary, Error>] = []
    func add(_ result: Result<Builder.Summary, Error>) { lock.withLock { results.append(result) } }
    var all: [Result<Builder.Summary, Error>] { lock.withLock { results } }
}
