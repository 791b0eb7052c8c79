import Foundation
import Support

/// Boots a ROM in QEMU and plays a scenario's steps on its serial console. It does not
/// build or flash: the caller hands it the ROM and disk the scenario asks for.
public struct ScenarioRunner: Sendable {
    /// Console text that fails any expectation at once.
    public static let fatalConsolePattern = "Kernel panic"

    public var settings: QEMUSettings
    public var variables: [String: String]
    public var transcriptDirectory: URL
    /// Whether scenarios run their `full_os` steps (the OS booted to systemd and powered off).
    public var fullOS = true

    public init(settings: QEMUSettings, variables: [String: String], transcriptDirectory: URL) {
        self.settings = settings
        self.variables = variables
        self.transcriptDirectory = transcriptDirectory
    }

    /// Placeholders whose value depends on the moment a step runs (`{totp}`: the codes an
    /// authenticator accepts now), computed by `substitute` at that moment.
    public var clockVariables: [String: @Sendable (Date) -> String] = [:]

    /// `{name}` placeholders filled from `clockVariables` (now) and `variables`; unknown ones stay as they are.
    public func substitute(_ text: String) -> String {
        let now = Date()
        let timed = clockVariables.reduce(text) { $0.contains("{\($1.key)}") ? $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value(now)) : $0 }
        return variables.reduce(timed) { $0.replacingOccurrences(of: "{\($1.key)}", with: $1.value) }
    }

    /// The machine a scenario boots: the ROM as `-bios`, or with `payload`, that kernel and
    /// initramfs and `settings.append` (filled in) and no firmware.
    public func machine(rom: URL, disk: URL?, payload: (kernel: URL, initrd: URL)? = nil) -> QEMUMachine {
        var machine = QEMUMachine(
            machineType: settings.machineType,
            accelerator: QEMUMachine.Accelerator(rawValue: settings.accelerator) ?? .tcg,
            memoryMiB: settings.memoryMiB,
            bios: rom.path,
            drives: disk.map { [QEMUMachine.Drive(path: $0.path, interface: settings.diskInterface)] } ?? [],
            extraArguments: settings.extraArguments)
        machine.cpu = settings.cpu
        if let payload {
            machine.bios = nil
            machine.kernel = payload.kernel.path
            machine.initrd = payload.initrd.path
            machine.append = substitute(settings.append)
        }
        return machine
    }

    public func run(_ scenario: TestScenario, rom: URL, disk: URL?, payload: (kernel: URL, initrd: URL)? = nil, extraArguments: [String] = []) -> ScenarioResult {
        let transcript = transcriptDirectory.appendingPathComponent("\(scenario.name).console.log")
        let start = Date()
        var machine = machine(rom: rom, disk: disk, payload: payload)
        machine.extraArguments += extraArguments
        machine.allowsReboot = scenario.reboots
        var current = "start QEMU"
        var milestones: [ScenarioResult.Milestone] = []
        func result(_ passed: Bool, _ failure: String?, _ console: ConsoleSession?) -> ScenarioResult {
            ScenarioResult(
                scenario: scenario.name, passed: passed, seconds: Date().timeIntervalSince(start),
                failedStep: passed ? nil : current, failure: failure,
                lastLines: passed ? nil : console?.tail(lines: 40), transcript: transcript.path, milestones: milestones)
        }
        let console: ConsoleSession
        do { console = try ConsoleSession(machine: machine, transcriptURL: transcript) } catch {
            return result(false, "\(error)", nil)
        }
        defer { console.close() }
        do {
            for step in scenario.steps(fullOS: fullOS) {
                let remaining = max(1, scenario.timeout - Date().timeIntervalSince(start))
                switch step {
                case .expect(let pattern, let timeout):
                    let filled = substitute(pattern)
                    let limit = min(timeout ?? remaining, remaining)
                    current = "expect /\(filled)/ (timeout \(Int(limit)) s)"
                    try console.waitFor(filled, timeout: limit, failOn: Self.fatalConsolePattern)
                    milestones.append(.init(expect: pattern, seconds: Date().timeIntervalSince(start)))
                case .absent(let pattern):
                    let filled = substitute(pattern)
                    current = "absent /\(filled)/"
                    if console.transcript.range(of: filled, options: .regularExpression) != nil {
                        throw ScenarioFailure(message: "the console showed /\(filled)/, which it must not")
                    }
                case .send(let text):
                    // The transcript shows what was typed, but never the passphrase itself.
                    current = "send \(text)"
                    console.send(substitute(text))
                case .sendUntil(let text, let pattern, let timeout):
                    let filled = substitute(pattern)
                    let limit = min(timeout ?? remaining, remaining)
                    current = "send \(text) until /\(filled)/ (timeout \(Int(limit)) s)"
                    let deadline = Date().addingTimeInterval(limit)
                    while true {
                        console.send(substitute(text))
                        do {
                            try console.waitFor(filled, timeout: max(1, min(10, deadline.timeIntervalSinceNow)), failOn: Self.fatalConsolePattern)
                            break
                        } catch ConsoleError.timedOut where Date() < deadline {
                            continue
                        }
                    }
                case .exit(let status, let timeout):
                    let limit = min(timeout ?? remaining, remaining)
                    current = "exit with status \(status) (timeout \(Int(limit)) s)"
                    let actual = try console.expectExit(timeout: limit)
                    if actual != status {
                        throw ScenarioFailure(message: "QEMU exited with status \(actual), expected \(status)")
                    }
                }
            }
            // The passphrase is typed with echo off: it must never reach the console.
            if let secret = variables["passphrase"], !secret.isEmpty, console.transcript.contains(secret) {
                current = "keep the passphrase off the console"
                throw ScenarioFailure(message: "the passphrase was echoed to the console")
            }
        } catch {
            console.close()
            return result(false, "\(error)", console)
        }
        return result(true, nil, console)
    }
}

struct ScenarioFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
