import Foundation

/// Measures `fleet list` on a large inventory: it fills a throwaway inventory with `devices`
/// devices (two thirds flashed once) and times the listing as the command makes it (the
/// caller's `list`: query and table together), in wall-clock and in CPU seconds (on a shared
/// machine the CPU time is the steadier number). Prints numbers, never judges them.
public enum FleetBenchmark {
    public struct Numbers: Codable, Sendable {
        public var devices: Int
        public var fillSeconds: Double
        /// The best run's wall time: what `fleet list` spends after opening the inventory.
        public var listSeconds: Double
        /// CPU time of this process over the best run.
        public var listCPUSeconds: Double
        /// Every run's wall time, in order: the spread shows what the machine did meanwhile.
        public var runSeconds: [Double]
        /// Bytes the listing produced.
        public var outputBytes: Int
    }

    /// `list` makes what the command prints from the inventory and returns its size and how
    /// many devices it listed.
    public static func run(devices count: Int, in directory: URL, runs: Int = 5,
                           list: (Inventory, GenerationLookup) throws -> (bytes: Int, devices: Int)) throws -> Numbers {
        let inventory = try Inventory.open(home: directory)
        let fillStart = Date()
        try inventory.addDevices((0..<count).map { Device(name: String(format: "device-%06d", $0), board: $0 % 2 == 0 ? "qemu-x86" : "x230") })
        let ids = try inventory.devices()
        // Two thirds of the devices were flashed once, with one of four generations.
        try inventory.recordFlashes(ids.filter { $0.id! % 3 != 0 }.map { device in
            FlashEvent(deviceId: device.id!, generation: Int(device.id! % 4), setHash: "set\(device.id! % 4)", romHash: "r", readbackHash: "r", chip: "W25Q128.V", programmer: "dummy", outcome: .success, bytesWritten: 0, backupReference: nil, fallbackGeneration: Int(device.id! % 3))
        })
        let fillSeconds = Date().timeIntervalSince(fillStart)
        let generations = FixedGenerations(["qemu-x86": (0..<4).map { ($0, "set\($0)") }])
        var best: (wall: Double, cpu: Double, bytes: Int)?
        var all: [Double] = []
        // The first run also pays for reading the file into the page cache.
        for _ in 0..<max(1, runs) {
            let cpuStart = cpuSeconds()
            let start = Date()
            let listed = try list(inventory, generations)
            let wall = Date().timeIntervalSince(start)
            let cpu = cpuSeconds() - cpuStart
            precondition(listed.devices == count)
            all.append(wall)
            if best == nil || wall < best!.wall { best = (wall, cpu, listed.bytes) }
        }
        return Numbers(devices: count, fillSeconds: fillSeconds, listSeconds: best!.wall, listCPUSeconds: best!.cpu,
                       runSeconds: all, outputBytes: best!.bytes)
    }

    static func cpuSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
