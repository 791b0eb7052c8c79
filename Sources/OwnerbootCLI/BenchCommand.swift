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

        func run() throws {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: dir) }
            let numbers = try FleetBenchmark.run(devices: devices, in: dir)
            if json { return try JSONOutput.print(numbers) }
            print(String(format: "fleet list: %d devices in %.3f s (filling the inventory took %.1f s)", numbers.devices, numbers.listSeconds, numbers.fillSeconds))
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
