import Flash
import Foundation
import Orchestrator

/// Maps a board (Orchestrator) to the board-agnostic `ExpectedTarget` the Flash module checks
/// a chip against, and holds the flash commands' shared defaults.
enum FlashTargetAdapter {
    static func target(for board: Board, onProtected: FlashPlan.Policy) -> ExpectedTarget {
        BoardFlashTarget.target(for: board, onProtected: onProtected)
    }

    static func state(_ spec: WriteProtectSpec) -> WriteProtectState? { BoardFlashTarget.state(spec) }

    /// The programmer given, or the board's default one.
    static func programmer(_ given: String?, board: Board?) throws -> ProgrammerString {
        guard let text = given ?? board?.chip.programmer else {
            throw FlashCLIError.noProgrammer
        }
        return try ProgrammerString(parsing: text)
    }

    static func defaultBackupDirectory() -> URL { BoardFlashTarget.defaultBackupDirectory() }

    /// The flashrom names to probe for. On a board with several chips `--chip` says which
    /// (bottom, top; all with `internal`); otherwise it is flashrom's chip name, and without
    /// it the board's part names are probed in turn.
    static func chipNames(_ chip: String?, board: Board?, programmer: String? = nil) throws -> [String] {
        guard let board else { return chip.map { [$0] } ?? [] }
        if board.chips.count == 1 { return chip.map { [$0] } ?? [board.chip.name] + board.chip.models }
        let spec = try BoardFlashTarget.chip(of: board, label: chip, programmer: programmer)
        return spec.name.isEmpty ? [] : [spec.name] + spec.models
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
