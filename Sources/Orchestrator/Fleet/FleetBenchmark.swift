import Foundation

/// Measures `fleet list` on a large inventory: it fills a throwaway inventory with `devices`
/// devices (each flashed once) and times the status query. Prints numbers, never judges them.
public enum FleetBenchmark {
    public struct Numbers: Codable, Sendable {
        public var devices: Int
        public var fillSeconds: Double
        public var listSeconds: Double
    }

    public static func run(devices count: Int, in directory: URL) throws -> Numbers {
        let inventory = try Inventory.open(home: directory)
        let fillStart = Date()
        try inventory.addDevices((0..<count).map { Device(name: String(format: "device-%06d", $0), board: $0 % 2 == 0 ? "qemu-x86" : "x230") })
        let ids = try inventory.devices()
        // Two thirds of the devices were flashed once, with one of four generations.
        try inventory.recordFlashes(ids.filter { $0.id! % 3 != 0 }.map { device in
            FlashEvent(deviceId: device.id!, generation: Int(device.id! % 4), setHash: "set\(device.id! % 4)", romHash: "r", readbackHash: "r", chip: "W25Q128.V", programmer: "dummy", outcome: .success, bytesWritten: 0, backupReference: nil)
        })
        let fillSeconds = Date().timeIntervalSince(fillStart)
        let generations = FixedGenerations(["qemu-x86": (0..<4).map { ($0, "set\($0)") }])
        let listStart = Date()
        let statuses = try inventory.statuses(generations: generations)
        precondition(statuses.count == count)
        return Numbers(devices: count, fillSeconds: fillSeconds, listSeconds: Date().timeIntervalSince(listStart))
    }
}
