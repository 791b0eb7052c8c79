import Foundation
import Orchestrator

/// The text `fleet list` prints: a header and one tab-separated line per device, written into
/// one UTF-8 buffer straight from the inventory's rows (no value per device), so 100,000
/// devices are written at once instead of line by line.
enum FleetTable {
    static let header = "DEVICE\tBOARD\tON CHIP\tFALLBACK\tLATEST\tSTATUS\tATTESTED\n"

    /// The whole table for the devices in `inventory`, and how many devices it lists.
    /// `now`: what the age of the last attestation is measured from.
    static func bytes(_ inventory: Inventory, generations: GenerationLookup, now: Date = Date()) throws -> (bytes: [UInt8], devices: Int) {
        var out: [UInt8] = []
        // About 40 bytes a line: growing a 4 MB buffer by doubling costs more than the lines.
        out.reserveCapacity(header.utf8.count + 48 * min(try inventory.deviceCountBound(), 1 << 22))
        out.append(contentsOf: header.utf8)
        var devices = 0
        try inventory.forEachStatus(generations: generations) { row in
            append(row, into: &out, now: now)
            devices += 1
        }
        return (out, devices)
    }

    static func append(_ row: FleetStatusRow, into out: inout [UInt8], now: Date = Date()) {
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
        out.append(tab)
        out.append(contentsOf: attested(row.lastAttestation, now: now).utf8)
        out.append(UInt8(ascii: "\n"))
    }

    /// The last attestation in a few words: "3 normal 2h ago" for a match, the verdict and
    /// what was found otherwise ("otherGeneration 4 normal 5m ago", "mismatch 1d ago"); "-" for none.
    static func attested(_ last: FleetStatus.LastAttestation?, now: Date) -> String {
        guard let last else { return "-" }
        var words: [String] = []
        if last.verdict != .matches { words.append(last.verdict.rawValue) }
        if let generation = last.generation { words.append(String(generation)) }
        if let path = last.path { words.append(path) }
        let seconds = ISO8601DateFormatter().date(from: last.time).map { max(0, Int(now.timeIntervalSince($0))) }
        words.append(seconds.map { age($0) + " ago" } ?? last.time)
        return words.joined(separator: " ")
    }

    /// "45s", "12m", "3h", "2d".
    static func age(_ seconds: Int) -> String {
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86400: return "\(seconds / 3600)h"
        default: return "\(seconds / 86400)d"
        }
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
