import Flash
import Foundation

/// What a board's flash protection covers, by what, and what software on the running machine
/// can still rewrite (`ownerboot boards`): the threat is a compromised OS, so "writable" means
/// writable through the chipset without opening the machine. An external programmer on the
/// chip is the owner's path and is not counted.
public struct FlashProtection: Sendable, Codable, Equatable {
    public enum Mechanism: String, Sendable, Codable {
        /// The chip's status register (BP bits + SRP0) held by its WP# pin.
        case hardwareWP = "hardware-wp"
        /// The status register without WP#: whoever can write the chip can clear it.
        case softwareWP = "software-wp"
        /// One-time-programmable status register lock.
        case permanentWP = "permanent-wp"
        case pchProtectedRange = "pch-pr0-flockdn"
    }

    public struct Protected: Sendable, Codable, Equatable {
        public var range: ByteRange
        public var mechanism: Mechanism
        /// Who it stops, and who it does not.
        public var scope: String
    }

    /// Ranges something keeps read-only (empty: nothing is protected).
    public var protected: [Protected]
    /// Ranges the running OS can rewrite despite `protected`, in flash addresses.
    public var writable: [ByteRange]
    /// Where the fallback set lives, or why there is none (`[board] fallback`).
    public var fallback: String?

    public init(board: Board) {
        var protected: [Protected] = []
        var locked: [ByteRange] = []
        if let wp = board.writeProtect, wp.mode != .none {
            let range = ByteRange(start: wp.start, length: wp.length)
            switch wp.mode {
            case .hardware:
                protected.append(Protected(range: range, mechanism: .hardwareWP, scope: "every writer while WP# is held low: the OS cannot lift it; the owner lifts WP# (or the status register with a clip) to promote a new fallback"))
                locked.append(range)
            case .software:
                protected.append(Protected(range: range, mechanism: .softwareWP, scope: "accidents only: without WP# anyone who can write the chip can clear the status register"))
            case .permanent:
                protected.append(Protected(range: range, mechanism: .permanentWP, scope: "every writer, for good"))
                locked.append(range)
            case .none:
                break
            }
        }
        if let pch = board.chipsetProtect {
            let range = ByteRange(start: pch.start, length: pch.length)
            protected.append(Protected(range: range, mechanism: .pchProtectedRange, scope: "writes through the chipset (the running OS, flashrom's internal programmer) from the firmware's lockdown until the next reset; an external programmer on the chip still writes it"))
            locked.append(range)
        }
        self.protected = protected
        self.writable = Self.complement(of: locked, in: ByteRange(start: 0, length: board.flashSize))
        self.fallback = board.fallback
    }

    /// The parts of `whole` no range in `ranges` covers, in address order.
    static func complement(of ranges: [ByteRange], in whole: ByteRange) -> [ByteRange] {
        var result: [ByteRange] = []
        var cursor = whole.start
        for range in ranges.sorted(by: { $0.start < $1.start }) {
            if range.start > cursor { result.append(ByteRange(start: cursor, length: min(range.start, whole.end) - cursor)) }
            cursor = max(cursor, range.end)
            if cursor >= whole.end { break }
        }
        if cursor < whole.end { result.append(ByteRange(start: cursor, length: whole.end - cursor)) }
        return result.filter { !$0.isEmpty }
    }

    /// "hardware-wp", "pch-pr0-flockdn", or "none".
    public var summary: String {
        protected.isEmpty ? "none" : protected.map(\.mechanism.rawValue).joined(separator: " + ")
    }
}
