import Foundation
import Support
import Testing
@testable import Orchestrator

/// What the Builder reports while it works, on real sandboxed builds of the fixture board.
@Suite(.serialized) struct BuildProgressTests {
    final class Events: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [ProgressEvent] = []
        func add(_ event: ProgressEvent) { lock.withLock { list.append(event) } }
        var all: [ProgressEvent] { lock.withLock { list } }
        func of(_ task: String) -> [ProgressEvent] { all.filter { $0.task == task } }
    }

    func builder(_ fixture: FixtureBoard, _ events: Events) -> Builder {
        var builder = fixture.builder()
        builder.progress = { events.add($0) }
        return builder
    }

    @Test func aRunningBuildReportsElapsedTimeItsLogsLastLineAndNextTimeAnEstimate() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try fixture.write("independent.sh", "echo 'step one'\nsleep 2.5\necho 'copying the note'\nsleep 1.5\ncp /inputs/note.txt /out/note.txt\n")
        let events = Events()
        _ = try builder(fixture, events).build(try fixture.plan())
        let task = events.of("build independent")
        #expect(task.first?.phase == .started)
        #expect(task.first?.estimate == nil, "never built before: no estimate")
        #expect(task.last?.phase == .finished)
        let ticks = task.filter { $0.phase == .progress }
        #expect(ticks.count >= 2)
        #expect(ticks.contains { $0.detail == "step one" })
        #expect(ticks.contains { $0.detail == "copying the note" })
        let elapsed = ticks.compactMap(\.elapsed)
        #expect(elapsed == elapsed.sorted() && (elapsed.last ?? 0) >= 2)
        #expect((task.last?.elapsed ?? 0) >= 4)
        #expect(events.of("build hello").map(\.phase).first == .started && events.of("build hello").last?.phase == .finished)

        // Built again with a change: the estimate is what the last build of `independent` took.
        let recorded = try #require(fixture.store.lastBuildSeconds(name: "independent"))
        #expect(recorded >= 4)
        try fixture.write("note.txt", "changed\n")
        let again = Events()
        _ = try builder(fixture, again).build(try fixture.plan())
        #expect(again.of("build independent").first?.estimate == recorded)
        // Cached derivations are silent.
        #expect(again.of("build hello").isEmpty)
        let cached = Events()
        _ = try builder(fixture, cached).build(try fixture.plan())
        #expect(cached.all.isEmpty)
    }

    /// A builder that sends its tool's output to its own log in /build (as the kernel's does
    /// with make) still shows that tool's last line.
    @Test func aLogTheBuilderWritesInBuildIsFollowedToo() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try fixture.write("independent.sh", "echo 'configured'\nsleep 2\necho '  CC      init/main.o' > /build/make.log\nsleep 2.5\ncp /inputs/note.txt /out/note.txt\n")
        let events = Events()
        _ = try builder(fixture, events).build(try fixture.plan())
        let details = events.of("build independent").compactMap(\.detail)
        #expect(details.contains("configured"))
        #expect(details.contains("CC      init/main.o"))
        #expect(events.of("build independent").last?.phase == .finished)
    }

    @Test func aFailingBuildEndsItsTaskWithFailedAndNoFinished() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try fixture.write("independent.sh", "echo 'about to fail'\nexit 3\n")
        let events = Events()
        #expect(throws: BuildError.self) { _ = try builder(fixture, events).build(try fixture.plan()) }
        let task = events.of("build independent")
        #expect(task.first?.phase == .started)
        #expect(task.last?.phase == .failed)
        #expect(task.last?.detail?.contains("independent") == true)
        #expect(!task.contains { $0.phase == .finished })
        // The log was written while the builder ran and holds its output.
        let log = try String(contentsOf: fixture.store.logPath(of: try fixture.plan().step(named: "independent")!.derivation), encoding: .utf8)
        #expect(log.contains("about to fail"))
    }

    @Test func theLastLineOfALogLeavesControlCharactersOut() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("log")
        #expect(ProgressTicker.lastLine(of: log) == nil)
        try Data("first\n\u{1B}[1;32m  CC  ram.o\u{1B}[0m\r\n\n   \n".utf8).write(to: log)
        #expect(ProgressTicker.lastLine(of: log) == "CC  ram.o")
        try Data((String(repeating: "x", count: 10_000) + "\nprogress 50%\rprogress 90%").utf8).write(to: log)
        #expect(ProgressTicker.lastLine(of: log) == "progress 90%")
    }
}
