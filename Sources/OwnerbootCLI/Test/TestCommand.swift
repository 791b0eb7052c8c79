import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot test`: boot the board's latest build in QEMU and run its scenarios.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Boot a board's latest build in QEMU and run its scenarios.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(name: .customLong("scenario"), help: "Run only this scenario (repeatable).") var scenarios: [String] = []
    @Option(help: "Where transcripts go (default: a new folder under /tmp).") var workDir: String?
    @Option(help: "Machines at once.") var jobs = 2
    @Flag(help: "Also run the scenarios' full-OS steps (systemd up, then powered off) where a scenario proves firmware or unlocking; also OWNERBOOT_TEST_FULL_OS=1.") var fullOS = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        // Build first: the test boots exactly what this checkout builds.
        let progress = ProgressRenderer.standard(json: json)
        // On any error the live display is cleared before the error is printed.
        defer { progress.finish() }
        let current = try CurrentBuild.make(board: board, scenarios: scenarios, progress: progress.sink)
        let work = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-test-\(board.name)-\(UUID().uuidString.prefix(8))").path)
        var session = try BoardTestSession.forCurrentBuild(current, board: board, scenarios: scenarios, workDirectory: work, parallelism: jobs) { progress.note($0) }
        progress.finish()
        let artifacts = session.artifacts
        session.fullOS = fullOS || ProcessInfo.processInfo.environment["OWNERBOOT_TEST_FULL_OS"] == "1"
        InterruptHandler.install()
        let quiet = json
        if !quiet { print("testing \(board.name) generation \(artifacts.variables["generation"] ?? "?") in QEMU; transcripts in \(work.path)") }
        let results = try session.run(names: scenarios) { result in
            guard !quiet else { return }
            print(String(format: "%@ %@ (%.1f s)", result.passed ? "PASS" : "FAIL", result.scenario, result.seconds))
            if result.passed, let transcript = try? String(contentsOfFile: result.transcript, encoding: .utf8),
               let reached = transcript.split(whereSeparator: \.isNewline).last(where: { $0.contains("ownerboot-os:") }) {
                print("  console: \(reached.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            if !result.passed {
                print("  failed step: \(result.failedStep ?? "?")")
                print("  \(result.failure ?? "")")
                if let tail = result.lastLines { print("  last console lines:\n" + tail.split(separator: "\n").map { "    | \($0)" }.joined(separator: "\n")) }
                print("  transcript: \(result.transcript)")
            }
            fflush(nil)
        }
        if json { try JSONOutput.print(results) }
        let failed = results.filter { !$0.passed }
        if !quiet { print("scenarios: \(results.count - failed.count) passed, \(failed.count) failed") }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
