import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot bench …`: benchmarks that print numbers (they never fail on time).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: print timings, never fail on them.",
        subcommands: [Fleet.self, Identify.self])

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
}
