import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot bench …`: benchmarks that print numbers (they never fail on time).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: print timings, never fail on them.",
        subcommands: [Fleet.self])

    struct Fleet: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Time `fleet list` on a large throwaway inventory.")
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
}
