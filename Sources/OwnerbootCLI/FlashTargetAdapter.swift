import Flash
import Foundation
import Orchestrator

/// Maps a board (Orchestrator) to the board-agnostic `ExpectedTarget` the Flash module checks
/// a chip against, and holds the flash commands' shared defaults.
enum FlashTargetAdapter {
    static func target(for board: Board, onProtected: FlashPlan.Policy) -> ExpectedTarget {
        ExpectedTarget(
            chipName: board.chip.name, chipSize: board.chip.sizeBytes,
            writeProtect: WriteProtectPolicy(onProtected: onProtected, apply: board.writeProtect.flatMap(state)))
    }

    /// The protection a board's policy asks for; "none" leaves the chip as it is.
    static func state(_ spec: WriteProtectSpec) -> WriteProtectState? {
        let range = ByteRange(start: spec.start, length: spec.length)
        switch spec.mode {
        case .hardware: return WriteProtectState(range: range, mode: .hardware)
        case .software: return WriteProtectState(range: range, mode: .disabled)
        case .permanent: return WriteProtectState(range: range, mode: .permanent)
        case .none: return nil
        }
    }

    /// The programmer given, or the board's default one.
    static func programmer(_ given: String?, board: Board?) throws -> ProgrammerString {
        guard let text = given ?? board?.chip.programmer else {
            throw FlashCLIError.noProgrammer
        }
        return try ProgrammerString(parsing: text)
    }

    /// `$OWNERBOOT_HOME/backups`, OWNERBOOT_HOME defaulting to ~/.local/share/ownerboot.
    static func defaultBackupDirectory() -> URL {
        let environment = ProcessInfo.processInfo.environment
        let home = environment["OWNERBOOT_HOME"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".local/share/ownerboot")
        return home.appendingPathComponent("backups")
    }
}

/// Errors in how a flash command was called.
enum FlashCLIError: Error, CustomStringConvertible {
    case noProgrammer
    case badRange(String)
    case noRange

    var description: String {
        switch self {
        case .noProgrammer: return "no programmer: add --programmer (e.g. ch341a_spi, ft2232_spi:type=2232H; see `ownerboot programmers`) or board=NAME with chip.programmer"
        case .badRange(let text): return "cannot read the range '\(text)': write START,LENGTH (e.g. 0xC00000,0x400000)"
        case .noRange: return "no range: add --range START,LENGTH or board=NAME whose board.toml has [write_protect]"
        }
    }
}
