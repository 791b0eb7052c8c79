import Orchestrator

/// The text `fleet list` prints: a header and one tab-separated line per device, built as one
/// UTF-8 buffer so 100,000 devices are written at once instead of line by line.
enum FleetTable {
    static func bytes(_ statuses: [FleetStatus]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(48 * (statuses.count + 1))
        out.append(contentsOf: "DEVICE\tBOARD\tON CHIP\tFALLBACK\tLATEST\tSTATUS\n".utf8)
        let tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n")
        for s in statuses {
            out.append(contentsOf: s.device.utf8)
            out.append(tab)
            out.append(contentsOf: s.board.utf8)
            out.append(tab)
            number(s.generationOnChip, into: &out)
            out.append(tab)
            number(s.fallbackGenerationOnChip, into: &out)
            out.append(tab)
            number(s.latestGeneration, into: &out)
            out.append(tab)
            out.append(contentsOf: s.state.rawValue.utf8)
            out.append(newline)
        }
        return out
    }

    static func text(_ statuses: [FleetStatus]) -> String { String(decoding: bytes(statuses), as: UTF8.self) }

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
