import Flash
import Foundation
import Support

/// Why `ownerboot promote` wrote nothing: the chip is still protected, or the ROM is not a
/// two-half ROM carrying the promoted generation in both halves.
public enum PromotionError: UserFacingError, Equatable {
    /// The chip protects a range: the protected (fallback) half cannot be rewritten.
    case writeProtected(board: String, generation: Int, protection: WriteProtectState)
    /// The ROM has no normal region: there is no separate fallback half to promote.
    case singleCBFS(board: String, path: String)
    /// The ROM's halves carry other generations than the one promoted.
    case halvesDiffer(path: String, generation: Int, normal: Int?, fallback: Int?)

    public var message: String {
        switch self {
        case .writeProtected(let board, let generation, let protection):
            return "refusing to promote \(board) generation \(generation): the chip protects \(protection.range) in \(protection.modeDescription) mode, and promote rewrites that half; nothing was written"
        case .singleCBFS(let board, let path):
            return "\(path): \(board)'s ROM has one CBFS (no FMAP region NORMAL), so there is no separate fallback half to promote"
        case .halvesDiffer(let path, let generation, let normal, let fallback):
            return "\(path): promoting generation \(generation) needs that generation in both halves, but the ROM carries normal \(normal.map(String.init) ?? "none"), fallback \(fallback.map(String.init) ?? "none")"
        }
    }

    public var fix: String? {
        switch self {
        case .writeProtected(let board, let generation, let protection):
            let again = "then run `ownerboot promote board=\(board) --generation \(generation)` again: it writes both halves, reads the chip back and re-applies the protection board.toml's [write_protect] asks for"
            switch protection.mode {
            case .hardware:
                return "deassert WP# (remove the write-protect jumper or screw, or pull the pin high), run `ownerboot wp disable board=\(board)`, " + again
            case .disabled:
                return "run `ownerboot wp disable board=\(board)`, " + again
            case .powerCycle:
                return "power-cycle the board (remove all power), run `ownerboot wp disable board=\(board)` before firmware locks it, " + again
            case .permanent:
                return "this chip's protected range can never be rewritten: the fallback it holds stays; build updates with `[write_protect] fallback_generation` set to it"
            }
        case .singleCBFS: return "promote only boards whose ROM has a normal/fallback layout (`ownerboot boards` shows the protection a board gets); flash a single-CBFS ROM with `ownerboot flash`"
        case .halvesDiffer(_, let generation, _, _): return "promote builds generation \(generation)'s self-contained ROM itself: run `ownerboot promote board=… --generation \(generation)` without --image"
        }
    }
}
