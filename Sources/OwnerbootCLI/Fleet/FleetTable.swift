import Orchestrator

/// The text `fleet list` prints: a header and one tab-separated line per device, written into
/// one UTF-8 buffer straight from the inventory's rows (no value per device), so 100,000
/// devices are written at once instead of line by line.
enum FleetTable {
    static let header = "DEVICE\tBOARD\tON CHIP\tFALLBACK\tLATEST\tSTATUS\n"

    /// The whole table for the devices in `inventory`, and how many devices it lists.
    static func bytes(_ inventory: Inventory, generations: GenerationLookup) throws -> (bytes: [UInt8], devices: Int) {
        var out: [UInt8] = []
        // About 40 bytes a line: growing a 4 MB buffer by doubling costs more than the lines.
        out.reserveCapacity(header.utf8.count + 48 * min(try inventory.deviceCountBound(), 1 << 22))
        out.append(contentsOf: header.utf8)
        var devices = 0
        try inventory.forEachStatus(generations: generations) { row in
            append(row, into: &out)
            devices += 1
        }
        return (out, devices)
    }

    static func append(_ row: FleetStatusRow, into out: inout [UInt8]) {
        let tab = UInt8(ascii: "\t")
        out.append(contentsOf: row.device)
        out.append(tab)
        out.append(contentsOf: row.board.utf8)
        out.append(tab)
        number(row.generationOnChip, into: &out)
        out.append(tab)
        number(row.fallbackGenerationOnChip, into: &out)
        out.append(tab)
        number(row.latestGeneration, into: &out)
        out.append(tab)
        out.append(contentsOf: row.state.rawValue.utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// Decimal digits of `value`, or "-" when there is none.
    static func number(_ value: Int?, into out: inout [UInt8]) {
        guard let value else { return out.append(UInt8(ascii: "-")) }
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        out[start...].reverse()
    }
}
