import Orchestrator

/// The text `fleet list` prints: a header and one tab-separated line per device, built as one
/// string so 100,000 devices are written at once instead of line by line.
enum FleetTable {
    static func text(_ statuses: [FleetStatus]) -> String {
        var text = "DEVICE\tBOARD\tON CHIP\tLATEST\tSTATUS\n"
        text.reserveCapacity(64 * (statuses.count + 1))
        for s in statuses {
            text += s.device
            text += "\t"
            text += s.board
            text += "\t"
            text += s.generationOnChip.map(String.init) ?? "-"
            text += "\t"
            text += s.latestGeneration.map(String.init) ?? "-"
            text += "\t"
            text += s.state.rawValue
            text += "\n"
        }
        return text
    }
}
