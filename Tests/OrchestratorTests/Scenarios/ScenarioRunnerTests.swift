import Foundation
import Testing
@testable import Orchestrator

/// Scenarios parse from TOML and run on the tiny firmware; a broken expectation fails with
/// the step, the last console lines and the transcript path.
@Suite struct ScenarioRunnerTests {
    let toml = """
        [qemu]
        machine = "pc"
        memory_mib = 64

        [[scenario]]
        name = "echo"
        timeout = 60
        steps = [
          { expect = "tinybios: ready" },
          { send = "{word}" },
          { expect = "{word}" },
          { send = "q" },
          { exit = 3 },
        ]
        """

    func runEcho(_ text: String, variables: [String: String] = ["word": "owner"], banner: String = "tinybios: ready\r\n") throws -> ScenarioResult {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tests = try TestScenarioLoader().parse(text, file: "tests.toml")
        let rom = dir.appendingPathComponent("tiny.bin")
        try Data(ConsoleSessionTests.tinyFirmware(banner: banner)).write(to: rom)
        let runner = ScenarioRunner(settings: tests.qemu, variables: variables, transcriptDirectory: dir)
        return runner.run(tests.scenarios[0], rom: rom, disk: nil, extraArguments: ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
    }

    @Test func scenarioPasses() throws {
        let result = try runEcho(toml)
        #expect(result.passed, "\(result.failure ?? "")")
        #expect(result.failure == nil && result.lastLines == nil)
    }

    @Test func brokenExpectationFailsWithStepAndTail() throws {
        let broken = toml.replacingOccurrences(of: "{ expect = \"{word}\" }", with: "{ expect = \"reached the OS\", timeout = 2 }")
        let result = try runEcho(broken)
        #expect(!result.passed)
        #expect(result.failedStep == "expect /reached the OS/ (timeout 2 s)")
        #expect(result.lastLines?.contains("tinybios: ready") == true)
    }

    @Test func sendUntilTypesAgainUntilThePatternAppears() throws {
        let ok = toml.replacingOccurrences(of: "{ send = \"{word}\" },\n  { expect = \"{word}\" },", with: "{ send = \"{word}\", until = \"{word}\", timeout = 20 },")
        #expect(ok != toml)
        let passed = try runEcho(ok)
        #expect(passed.passed, "\(passed.failure ?? "")")
        // A pattern that never comes: typed again every few seconds, then the step fails.
        let never = toml.replacingOccurrences(of: "{ send = \"{word}\" },\n  { expect = \"{word}\" },", with: "{ send = \"again\", until = \"never-seen\", timeout = 25 },")
        let failed = try runEcho(never)
        #expect(!failed.passed)
        #expect(failed.failedStep == "send again until /never-seen/ (timeout 25 s)")
        #expect(failed.seconds >= 24)
        let console = (failed.lastLines ?? "")
        #expect(console.components(separatedBy: "again").count - 1 >= 2, "typed more than once: \(console)")
    }

    @Test func wrongExitStatusFails() throws {
        let result = try runEcho(toml.replacingOccurrences(of: "exit = 3", with: "exit = 0"))
        #expect(!result.passed)
        #expect(result.failure?.contains("status 3") == true)
    }

    @Test func typoInStepKeyNamesLine() throws {
        let typo = toml.replacingOccurrences(of: "{ send = \"q\" }", with: "{ sned = \"q\" }")
        #expect(throws: BoardError.unknownKey(file: "tests.toml", line: 12, key: "scenario echo steps[3].sned", suggestion: "send")) {
            try TestScenarioLoader().parse(typo, file: "tests.toml")
        }
    }

    @Test func unknownROMSourceIsRejected() throws {
        let bad = toml.replacingOccurrences(of: "timeout = 60", with: "timeout = 60\nrom = \"flashd\"")
        #expect(throws: BoardError.self) { try TestScenarioLoader().parse(bad, file: "tests.toml") }
    }

    @Test func anEchoedPassphraseFailsTheScenario() throws {
        // The tiny firmware echoes what it is sent, as a console with echo on would.
        let echoing = toml.replacingOccurrences(of: "{word}", with: "{passphrase}")
        let result = try runEcho(echoing, variables: ["passphrase": "owner"])
        #expect(!result.passed)
        #expect(result.failure == "the passphrase was echoed to the console")
    }

    @Test func aKernelPanicFailsTheWaitAtOnce() throws {
        let result = try runEcho(toml, banner: "Kernel panic - not syncing: VFS\r\n")
        #expect(!result.passed)
        #expect(result.seconds < 20)
        #expect(result.failure?.contains("Kernel panic") == true)
    }
}
