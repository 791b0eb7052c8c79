import CFlashrom

/// How a chip's protected range is held, as libflashrom reports it.
public enum WriteProtectMode: String, Sendable, Codable, CaseIterable {
    /// Status-register lock bit clear: the block-protect bits still protect the range
    /// (software protection) but any program may clear them.
    case disabled
    /// SRP0 set: the range and the bits are locked while the WP# pin is asserted.
    case hardware
    /// Locked until the next power cycle.
    case powerCycle = "power-cycle"
    /// One-time programmable lock: can never be undone.
    case permanent

    init(_ mode: flashrom_wp_mode) {
        switch mode {
        case FLASHROM_WP_MODE_HARDWARE: self = .hardware
        case FLASHROM_WP_MODE_POWER_CYCLE: self = .powerCycle
        case FLASHROM_WP_MODE_PERMANENT: self = .permanent
        default: self = .disabled
        }
    }

    var flashrom: flashrom_wp_mode {
        switch self {
        case .disabled: return FLASHROM_WP_MODE_DISABLED
        case .hardware: return FLASHROM_WP_MODE_HARDWARE
        case .powerCycle: return FLASHROM_WP_MODE_POWER_CYCLE
        case .permanent: return FLASHROM_WP_MODE_PERMANENT
        }
    }
}

/// A chip's write-protect configuration: the protected range and the mode holding it.
/// An empty range means nothing is protected, whatever the mode.
public struct WriteProtectState: Sendable, Codable, Hashable, CustomStringConvertible {
    public var range: ByteRange
    public var mode: WriteProtectMode

    public init(range: ByteRange, mode: WriteProtectMode) {
        self.range = range
        self.mode = mode
    }

    public static let unprotected = WriteProtectState(range: ByteRange(start: 0, length: 0), mode: .disabled)

    public var isProtecting: Bool { !range.isEmpty }

    /// What the protection is, in words a person can act on.
    public var modeDescription: String {
        guard isProtecting else { return "no protection" }
        switch mode {
        case .disabled: return "software (block-protect bits; any program can clear them)"
        case .hardware: return "hardware (status register locked while WP# is asserted)"
        case .powerCycle: return "power-cycle (locked until the chip loses power)"
        case .permanent: return "permanent (one-time lock; cannot be undone)"
        }
    }

    /// What to do so that the range becomes writable.
    public var howToUnprotect: String {
        switch mode {
        case .disabled:
            return "clear it with `ownerboot wp disable --programmer …`, flash, then re-enable it"
        case .hardware:
            return "deassert WP# (remove the write-protect jumper/screw or pull the pin high), run `ownerboot wp disable --programmer …`, flash, then re-enable"
        case .powerCycle:
            return "power-cycle the board (remove all power), then flash before firmware locks it again"
        case .permanent:
            return "this range can never be rewritten: build a ROM whose protected range equals what is on the chip"
        }
    }

    public var description: String {
        isProtecting ? "\(range) protected, mode \(mode.rawValue)" : "not protected (mode \(mode.rawValue))"
    }
}
