import Foundation
import Support

/// Why a build did not produce its output. Nothing enters the store when one is thrown.
public enum BuildError: UserFacingError, Equatable {
    case builderFailed(derivation: String, status: Int32, log: String, tail: String)
    case timedOut(derivation: String, seconds: Double, log: String)
    case notReproducible(derivation: String, first: String, second: String, files: [String])
    case missingInput(derivation: String, input: String)
    case cycle(path: [String])
    /// `build --expect SETHASH`: the board plans to another set than the one expected.
    case unexpectedSet(board: String, expected: String, planned: String)
    /// The sandbox could not be prepared (a multi-id user namespace).
    case sandboxSetup(detail: String)
    /// A `@input:NAME/FILE@` placeholder in a component's environment could not be filled.
    case placeholder(derivation: String, placeholder: String, reason: String)
    case fallbackNotInStore(board: String, generation: Int, file: String)
    /// The store's promotion names a ROM the store no longer holds.
    case promotedNotInStore(board: String, generation: Int, romHash: String)
    /// The builder's output holds what the store never takes (`OutputCheck`).
    case unsafeOutput(derivation: String, path: String, reason: String, fix: String)
    /// An input or the build environment changed while the builder ran (`InputGuard`).
    case inputChanged(derivation: String, input: String, path: String, detail: String, discarded: String?)

    public var message: String {
        switch self {
        case .builderFailed(let derivation, let status, let log, let tail):
            return "building \(derivation) failed (exit status \(status)); log: \(log)\n\(tail)"
        case .timedOut(let derivation, let seconds, let log):
            return "building \(derivation) took longer than \(Int(seconds)) s and was stopped; log: \(log)"
        case .notReproducible(let derivation, let first, let second, let files):
            return "\(derivation) is not reproducible: built twice, its outputs hash \(first) and \(second); differing files: \(files.prefix(20).joined(separator: ", "))"
        case .missingInput(let derivation, let input):
            return "\(derivation) needs \(input), which is neither a source, a component nor a file of the board"
        case .cycle(let path):
            return "the components depend on each other in a cycle: \(path.joined(separator: " → "))"
        case .unexpectedSet(let board, let expected, let planned):
            return "\(board) plans to set \(planned), not the expected \(expected): these inputs do not rebuild that generation"
        case .sandboxSetup(let detail):
            return "the sandbox could not be prepared: \(detail)"
        case .placeholder(let derivation, let placeholder, let reason):
            return "\(derivation): \(placeholder) in its environment could not be filled: \(reason)"
        case .fallbackNotInStore(let board, let generation, let file):
            return "\(file): [write_protect] fallback_generation = \(generation), but the store holds no ROM of \(board) generation \(generation)"
        case .promotedNotInStore(let board, let generation, let romHash):
            return "\(board)'s protected half was promoted to generation \(generation) (ROM \(romHash)-rom), but the store no longer holds that ROM"
        case .unsafeOutput(let derivation, let path, let reason, _):
            return "\(derivation)'s output is refused: /out/\(path): \(reason); nothing entered the store"
        case .inputChanged(let derivation, let input, let path, let detail, let discarded):
            let store = discarded.map { "; the store entry \($0) was removed so no later build uses it" } ?? ""
            return "the builder of \(derivation) changed its input \(input): \(path): \(detail); its output was not kept\(store)"
        }
    }

    public var fix: String? {
        switch self {
        case .builderFailed: return "read the log; the builder runs with no network and sees only its declared inputs"
        case .timedOut: return "check the log for a step waiting on input or the network"
        case .notReproducible: return "the builder embeds something that varies (time, path, order): diffoscope the two outputs"
        case .missingInput: return "fix the component's inputs in board.toml"
        case .cycle: return "remove one of the dependencies in board.toml"
        case .sandboxSetup: return "run ownerboot as root on a kernel that allows user namespaces (sysctl user.max_user_namespaces > 0)"
        case .placeholder: return "the input component must write that file (one line of hex); check its builder"
        case .fallbackNotInStore: return "build that generation first (`ownerboot build board=… --generation N`), or name one `ownerboot generations` lists"
        case .promotedNotInStore(let board, let generation, _):
            return "import the bundle that holds it, or set `[write_protect] fallback_generation = \(generation)` in \(board)'s board.toml once that generation is built"
        case .unsafeOutput(_, _, _, let fix): return fix
        case .inputChanged(let derivation, _, _, _, let discarded):
            return "read \(derivation)'s builder: a builder must never write its inputs. "
                + (discarded == nil ? "Restore the board's file from version control" : "The next build fetches or rebuilds the removed entry")
        case .unexpectedSet: return "build the generation's own snapshot (`--generation N` after `ownerboot import`), or compare `ownerboot plan` with the recorded generation to see which input differs"
        }
    }
}
