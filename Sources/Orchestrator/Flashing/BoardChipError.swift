import Boot
import Flash
import Foundation
import Support

/// A board's chips and a ROM that do not go together.
public enum BoardChipError: UserFacingError, Equatable {
    case chipRequired(board: String, chips: [ChipSpec])
    case unknownChip(board: String, label: String, labels: [String], suggestion: String?)
    case romSize(path: String, size: Int, board: String, flashSize: Int)
    /// The board's firmware locks `range` against writes through the chipset (PCH PR0 +
    /// FLOCKDN), so flashrom's `internal` programmer would fail on the first protected block.
    case chipsetLocked(board: String, range: ByteRange, chips: [ChipSpec])

    public var message: String {
        switch self {
        case .chipRequired(let board, let chips):
            return "board \(board) has \(chips.count) chips (" + chips.map { "\($0.label): \(ByteSize.format($0.sizeBytes)) at \(ByteRange(start: $0.offset, length: $0.sizeBytes))" }.joined(separator: "; ") + "): say which one the clip is on"
        case .unknownChip(let board, let label, let labels, _):
            return "board \(board) has no chip '\(label)' (its chips: \(labels.joined(separator: ", ")))"
        case .romSize(let path, let size, let board, let flashSize):
            return "\(path) is \(ByteSize.format(size)) but board \(board)'s flash is \(ByteSize.format(flashSize)); nothing was written"
        case .chipsetLocked(let board, let range, _):
            return "board \(board)'s firmware locks \(range) against writes through the chipset (PCH PR0 + FLOCKDN, set before the payload): the internal programmer cannot write it; nothing was written"
        }
    }

    public var fix: String? {
        switch self {
        case .chipRequired(let board, let chips):
            return "add --chip " + chips.map(\.label).joined(separator: " or --chip ") + " (or --chip all with the internal programmer, where the firmware does not lock the flash); `ownerboot boards --board \(board)` says where each chip is"
        case .unknownChip(_, _, _, let suggestion): return suggestion.map { "did you mean --chip \($0)?" } ?? "use one of the board's chip labels"
        case .romSize(_, _, let board, _): return "flash the ROM `ownerboot build board=\(board)` made (result/\(board)/rom/)"
        case .chipsetLocked(let board, _, let chips):
            // One command per chip, each with the programmer board.toml names for it.
            let commands = chips.map { chip in
                "`ownerboot flash board=\(board)" + (chips.count > 1 ? " --chip \(chip.label)" : "") + " --programmer \(chip.programmer ?? "ft2232_spi:type=2232H") --image ROM`"
            }
            return "clip an external 3.3 V programmer on the chip and write it from another machine: " + commands.joined(separator: ", then ")
                + " (`ownerboot boards board=\(board)` says where each chip is)"
        }
    }
}
