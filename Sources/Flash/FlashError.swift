import Support

/// Why a flash operation did not happen or did not finish. Each case says what the chip
/// state is afterwards and what to do next.
public enum FlashError: UserFacingError, Equatable {
    case sessionBusy
    case initFailed(code: Int32)
    case programmerInitFailed(programmer: String)
    case noChip(programmer: String)
    case multipleChips(names: [String])
    case operationFailed(operation: String, code: Int32)

    public var message: String {
        switch self {
        case .sessionBusy: return "another flash session is open in this process"
        case .initFailed(let code): return "libflashrom failed to initialise (code \(code))"
        case .programmerInitFailed(let programmer): return "programmer '\(programmer)' failed to initialise"
        case .noChip(let programmer): return "no flash chip found through '\(programmer)'"
        case .multipleChips(let names): return "several chip definitions match: \(names.joined(separator: ", "))"
        case .operationFailed(let operation, let code): return "\(operation) failed (libflashrom code \(code))"
        }
    }

    public var fix: String? {
        switch self {
        case .sessionBusy: return "wait for the running flash to finish; libflashrom allows one session per process"
        case .programmerInitFailed: return "check the programmer string, the USB connection and permissions (`ownerboot programmers`)"
        case .noChip: return "check the clip is seated on the chip, the chip is powered at the right voltage, and the programmer string"
        case .multipleChips: return "name the chip the board expects (chip.name in board.toml)"
        default: return nil
        }
    }
}
