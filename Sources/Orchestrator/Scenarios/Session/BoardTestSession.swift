import Boot
import Foundation
import Support

/// Runs a board's scenarios against what was built: it makes the throwaway test disk once,
/// prepares each scenario's ROM (built, flashed into an emulated chip, or an update of an
/// older generation on that chip), boots it and collects the results. It builds nothing and
/// flashes through the `flash` closure it is given, so it stays independent of how.
public struct BoardTestSession: Sendable {
    /// Writes `rom` into the emulated chip whose image file is `chipImage`; `protected`: the
    /// chip's write protection is on (an update of a deployed board).
    public typealias Flasher = @Sendable (_ rom: URL, _ chipImage: URL, _ protected: Bool) throws -> Void

    public var tests: BoardTests
    public var artifacts: Artifacts
    public var workDirectory: URL
    public var flash: Flasher?
    /// Writes a ROM whole as `ownerboot promote` does (refusing while `protected`); for the
    /// `promote` scenario.
    public var promote: Flasher?
    /// How many machines run at once (each TCG machine keeps one core busy).
    public var parallelism: Int
    /// Run the scenarios' `full_os` steps: every booted OS waited for until systemd is up,
    /// then powered off (slower under TCG; the scenarios that prove the OS itself always do).
    public var fullOS = true

    public init(tests: BoardTests, artifacts: Artifacts, workDirectory: URL, flash: Flasher?, parallelism: Int = 2) {
        self.tests = tests
        self.artifacts = artifacts
        self.workDirectory = workDirectory
        self.flash = flash
        self.parallelism = parallelism
    }

    /// Runs the named scenarios (all when `names` is empty); `progress` hears each result.
    public func run(names: [String] = [], progress: @escaping @Sendable (ScenarioResult) -> Void = { _ in }) throws -> [ScenarioResult] {
        let chosen = try select(names)
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let disk = chosen.contains { ![.none, .tamperedRoot, .tamperedKernel, .tpm2TamperedRoot, .foreignState, .unboundState].contains($0.disk) } ? try makeTestDisk() : nil
        let foreignState = chosen.contains { $0.disk == .foreignState } ? try makeTestDisk(tamper: .foreignState) : nil
        let unboundState = chosen.contains { $0.disk == .unboundState } ? try makeTestDisk(tamper: .unboundState) : nil
        let tampered = chosen.contains { $0.disk == .tamperedRoot || $0.disk == .tpm2TamperedRoot } ? try makeTestDisk(tamper: .superblock) : nil
        let tamperedKernel = chosen.contains { $0.disk == .tamperedKernel } ? try makeTestDisk(tamper: .kexecKernel) : nil
        var variables = artifacts.variables
        variables["passphrase"] = tests.qemu.testPassphrase
        if let uuid = artifacts.luksUUID { variables["root_uuid"] = uuid }
        var configured = ScenarioRunner(settings: tests.qemu, variables: variables, transcriptDirectory: workDirectory)
        configured.fullOS = fullOS
        let runner = configured

        let results = ResultBox(count: chosen.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, parallelism)
        for (index, scenario) in chosen.enumerated() {
            queue.addOperation {
                let result: ScenarioResult
                do {
                    let rom = try self.prepareROM(for: scenario)
                    var payload: (kernel: URL, initrd: URL)?
                    if scenario.rom == .payload {
                        guard let kernel = self.artifacts.kernel, let initrd = self.artifacts.initrd else { throw TestSessionError.noPayload(scenario: scenario.name) }
                        payload = (kernel, initrd)
                    }
                    var scenarioDisk: URL? = switch scenario.disk {
                    case .none: nil
                    case .tamperedRoot, .tpm2TamperedRoot: tampered
                    case .tamperedKernel: tamperedKernel
                    case .foreignState: foreignState
                    case .unboundState: unboundState
                    default: disk
                    }
                    if scenario.disk == .tpm2 || scenario.disk == .tpm2Resealed || scenario.disk == .tpm2Normal, let disk { scenarioDisk = try self.enrolTPM2(scenario, testDisk: disk) }
                    if scenario.disk == .tpm2TamperedRoot, let tampered { scenarioDisk = try self.enrolTPM2(scenario, testDisk: tampered) }
                    if scenario.disk == .tang, let disk { scenarioDisk = try self.enrolTang(scenario, testDisk: disk) }
                    if scenario.disk == .sss, let disk { scenarioDisk = try self.enrolSSS(scenario, testDisk: disk) }
                    let tpm = try self.startTPM(for: scenario)
                    defer { tpm?.close() }
                    var runner = runner
                    if scenario.disk == .totp, let disk { (scenarioDisk, runner.clockVariables["totp"]) = try self.enrolTOTP(scenario, testDisk: disk) }
                    runner.variables.merge(try Self.pcrVariables(booted: rom, built: self.artifacts.rom, firmware: scenario.rom != .payload)) { $1 }
                    result = runner.run(scenario, rom: rom, disk: scenarioDisk, payload: payload, extraArguments: (tpm?.qemuArguments ?? []) + (try self.tangArguments(scenario)))
                } catch {
                    result = ScenarioResult(scenario: scenario.name, passed: false, seconds: 0, failedStep: "prepare the ROM (\(scenario.rom.rawValue))", failure: "\(error)", lastLines: nil, transcript: "")
                }
                results.set(index, result)
                progress(result)
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        Self.discardDisks(in: workDirectory)
        return results.values
    }

    /// The throwaway test disks (`*.img`, over a GiB each with a Debian OS in two slots) go once
    /// the scenarios are done: a run would otherwise leave gigabytes in /tmp. Transcripts, ROMs
    /// and chip images stay for whoever reads what happened.
    static func discardDisks(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".img") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    func select(_ names: [String]) throws -> [TestScenario] { try tests.scenarios(named: names) }
}
