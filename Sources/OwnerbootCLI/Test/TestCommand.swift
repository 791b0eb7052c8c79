import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot test`: boot the board's latest build in QEMU and run its scenarios.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Boot a board's latest build in QEMU and run its scenarios.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Option(name: .customLong("scenario"), help: "Run only this scenario (repeatable).") var scenarios: [String] = []
    @Option(help: "Where transcripts go (default: a new folder under /tmp).") var workDir: String?
    @Option(help: "Machines at once.") var jobs = 2
    @Flag(help: "Also run the scenarios' full-OS steps (systemd up, then powered off) where a scenario proves firmware or unlocking; also OWNERBOOT_TEST_FULL_OS=1.") var fullOS = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        // Build first: the test boots exactly what this checkout builds.
        let current = try CurrentBuild.make(board: board, json: json, scenarios: scenarios)
        let (tests, builder, progress, summary) = (current.tests, current.builder, current.progress, current.summary)
        // On any error the live display is cleared before the error is printed.
        defer { progress.finish() }
        var artifacts = current.artifacts
        let work = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-test-\(board.name)-\(UUID().uuidString.prefix(8))").path)
        let chosen = try tests.scenarios(named: scenarios)
        if PreviousRelease.needed(scenarios: chosen) {
            // The older generation the update scenario starts from, as a release before this
            // one would have been: the same every time, whatever else the home holds.
            progress.note("building the previous release of \(board.name) (the board with one comment line added to a builder; not recorded as a generation)")
            artifacts.previousROM = try PreviousRelease.build(board: board, currentGeneration: summary.generation, using: builder, workDirectory: work)
        }
        if chosen.contains(where: { $0.rom == .update || $0.rom == .promote }), let previous = artifacts.previousROM {
            artifacts.updateROM = try PreviousRelease.updateROM(board: board, previousROM: previous, currentROM: artifacts.rom, using: builder)
        }
        progress.finish()
        let flasher = EmulatedChipFlasher(board: board, backupDirectory: work.appendingPathComponent("backups"))
        var session = BoardTestSession(
            tests: tests, artifacts: artifacts, workDirectory: work,
            flash: { rom, chip, protected in _ = try flasher.flashBlocking(rom: rom, chipImage: chip, protected: protected) },
            parallelism: jobs)
        session.fullOS = fullOS || ProcessInfo.processInfo.environment["OWNERBOOT_TEST_FULL_OS"] == "1"
        session.promote = { rom, chip, protected in _ = try flasher.promoteBlocking(rom: rom, chipImage: chip, protected: protected) }
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
