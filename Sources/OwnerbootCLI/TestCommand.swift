import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot test`: boot the board's ROM in QEMU and run its scenarios.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Boot a board in QEMU and run its scenarios.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Option(name: .customLong("scenario"), help: "Run only this scenario (repeatable).") var scenarios: [String] = []
    @Option(help: "The ROM to boot (default: result/<board>/rom/<board>.rom).") var rom: String?
    @Option(help: "The OS image for the test disk (default: result/<board>/os/os.ext4).") var osImage: String?
    @Option(help: "An older ROM for the update scenario.") var previousRom: String?
    @Option(help: "Where transcripts go (default: a new folder under /tmp).") var workDir: String?
    @Option(help: "Machines at once.") var jobs = 2
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        let tests = try TestScenarioLoader().load(board.directory.appendingPathComponent("tests.toml"))
        let romURL = URL(fileURLWithPath: rom ?? "result/\(board.name)/rom/\(board.name).rom")
        let variables = ["board": board.name]
        let work = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-test-\(board.name)-\(Int(Date().timeIntervalSince1970))").path)
        let session = BoardTestSession(
            tests: tests,
            artifacts: .init(
                rom: romURL, osImage: URL(fileURLWithPath: osImage ?? "result/\(board.name)/os/os.ext4"),
                previousROM: previousRom.map { URL(fileURLWithPath: $0) }, variables: variables, luksUUID: nil),
            workDirectory: work, flash: nil, parallelism: jobs)
        let quiet = json
        let results = try session.run(names: scenarios) { result in
            guard !quiet else { return }
            print(String(format: "%@ %@ (%.1f s)", result.passed ? "PASS" : "FAIL", result.scenario, result.seconds))
            if !result.passed {
                print("  failed step: \(result.failedStep ?? "?")")
                print("  \(result.failure ?? "")")
                if let tail = result.lastLines { print("  last console lines:\n" + tail.split(separator: "\n").map { "    | \($0)" }.joined(separator: "\n")) }
                print("  transcript: \(result.transcript)")
            }
        }
        if json { try JSONOutput.print(results) }
        let failed = results.filter { !$0.passed }
        if !quiet { print("\(results.count - failed.count) passed, \(failed.count) failed") }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}
