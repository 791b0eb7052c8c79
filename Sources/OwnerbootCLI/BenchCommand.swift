import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot bench …`: benchmarks that print numbers (they never fail on time).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: print timings, never fail on them.",
        subcommands: [Fleet.self, Identify.self, Boot.self])

    struct Fleet: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fleet", abstract: "Time `fleet list` on a large throwaway inventory.")
        @Option(help: "How many devices.") var devices = 100_000
        @Flag(help: "Print JSON.") var json = false
        @Option(help: "Keep the filled inventory in this new folder (use it as OWNERBOOT_HOME to time `ownerboot fleet list` itself).") var keep: String?

        func run() throws {
            if let keep, FileManager.default.fileExists(atPath: keep) { throw ValidationError("--keep \(keep): the folder exists; name a new one") }
            let dir = keep.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-bench-\(UUID().uuidString)")
            defer { if keep == nil { try? FileManager.default.removeItem(at: dir) } }
            let numbers = try FleetBenchmark.run(devices: devices, in: dir) { inventory, generations in
                let table = try FleetTable.bytes(inventory, generations: generations)
                return (table.bytes.count, table.devices)
            }
            if json { return try JSONOutput.print(numbers) }
            let runs = numbers.runSeconds.map { String(format: "%.3f", $0) }.joined(separator: " ")
            print(String(format: "fleet list: %d devices in %.3f s (best of %d; CPU %.3f s; %d bytes; filling the inventory took %.1f s)",
                         numbers.devices, numbers.listSeconds, numbers.runSeconds.count, numbers.listCPUSeconds, numbers.outputBytes, numbers.fillSeconds))
            print("runs (s): \(runs)")
        }
    }

    struct Identify: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "identify", abstract: "Time `fleet identify` on a chip dump (default: the last qemu-x86 ROM, one byte changed).")
        @Argument(help: "A dump; default result/qemu-x86/rom/qemu-x86.rom with one byte flipped.") var dump: String?
        @Option(help: "Runs.") var runs = 5

        func run() throws {
            let path = dump ?? "result/qemu-x86/rom/qemu-x86.rom"
            guard var bytes = FileManager.default.contents(atPath: path).map(Array.init) else {
                throw ValidationError("no dump at \(path): build qemu-x86 first or name a dump")
            }
            if dump == nil { bytes[0x20000] ^= 0xFF }
            let identifier = FleetIdentifier(store: try Store())
            var best = Double.infinity
            var result: Identification?
            for _ in 0..<runs {
                let start = Date()
                result = try identifier.identify(bytes)
                best = min(best, Date().timeIntervalSince(start))
            }
            print(String(format: "fleet identify: %d MiB dump in %.3f s (best of %d): %@", bytes.count >> 20, best, runs, result?.summary ?? "?"))
        }
    }

    struct Boot: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "boot",
            abstract: "Time a board's boot scenario in QEMU: seconds from QEMU start to each console milestone, and systemd-analyze's kernel and userspace times.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
        var board: String? { boardOption.board }
        @Option(help: "The scenario to time (it should boot the OS and type `systemd-analyze`).") var scenario = "boot"
        @Option(help: "Runs (each a first boot of a fresh test disk).") var runs = 1
        @Option(help: "QEMU -cpu for this run instead of tests.toml's (e.g. qemu64 to compare).") var cpu: String?
        @Option(help: "Where transcripts go (default: a new folder under /tmp).") var workDir: String?

        func run() throws {
            global.bootstrapLogging()
            let board = try boardOption.load(global: global)
            let progress = ProgressRenderer.standard(json: false)
            let current: CurrentBuild
            do { current = try CurrentBuild.make(board: board, scenarios: [scenario], progress: progress.sink) } catch { progress.finish(); throw error }
            progress.finish()
            var tests = current.tests
            if let cpu { tests.qemu.cpu = cpu }
            let work = URL(fileURLWithPath: workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-bench-boot-\(board.name)-\(UUID().uuidString.prefix(8))").path)
            print("bench boot: \(board.name) generation \(current.summary.generation), scenario \(scenario), -cpu \(tests.qemu.cpu ?? "(QEMU default)"), load \(Self.loadAverage()); transcripts in \(work.path)")
            for run in 1...max(1, runs) {
                var session = BoardTestSession(tests: tests, artifacts: current.artifacts, workDirectory: work.appendingPathComponent("run\(run)"), flash: nil, parallelism: 1)
                session.fullOS = true
                guard let result = try session.run(names: [scenario]).first else { continue }
                print(String(format: "run %d: %@ in %.1f s", run, result.passed ? "passed" : "FAILED (\(result.failedStep ?? "?"))", result.seconds))
                for milestone in result.milestones {
                    print(String(format: "  %6.1f s  %@", milestone.seconds, String(milestone.expect.prefix(70))))
                }
                let transcript = (try? String(contentsOfFile: result.transcript, encoding: .utf8)) ?? ""
                guard let analyzed = SystemdAnalyze(transcript) else {
                    print("  (no `Startup finished in …` line from systemd-analyze in the transcript)")
                    continue
                }
                print(String(format: "  systemd-analyze: kernel %.1f s (unlocker, passphrase, LUKS and verity included) + userspace %.1f s = %.1f s", analyzed.kernel, analyzed.userspace, analyzed.kernel + analyzed.userspace))
                // The report line comes right after systemd finished the boot: what is left
                // before the kernel started is coreboot (and QEMU's own start).
                if let report = result.milestones.first(where: { $0.expect.hasPrefix("ownerboot-os: system=") }) ?? result.milestones.last(where: { $0.expect.hasPrefix("ownerboot-os:") }) {
                    print(String(format: "  coreboot ≈ %.1f s (the report line at %.1f s minus systemd's %.1f s); QEMU start → multi-user ≈ %.1f s", report.seconds - analyzed.kernel - analyzed.userspace, report.seconds, analyzed.kernel + analyzed.userspace, report.seconds))
                }
            }
        }

        static func loadAverage() -> String {
            ((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8)) ?? "?").split(separator: " ").prefix(3).joined(separator: " ")
        }
    }
}
