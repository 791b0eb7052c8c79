import Foundation
import Support

/// Why an SBOM or provenance statement could not be written for a generation.
public enum ProvenanceError: UserFacingError, Equatable {
    case noGenerations(board: String)
    /// The generation's snapshot plans another set than the one recorded.
    case setMismatch(board: String, number: Int, recorded: String, planned: String)
    /// An output the generation names is missing from the store.
    case missingOutput(component: String, path: String)
    case unreadable(path: String, reason: String)
    case unpinnedOSPackage(path: String, line: Int, package: String)

    public var message: String {
        switch self {
        case .noGenerations(let board): return "board \(board) has no generation yet"
        case .setMismatch(let board, let number, let recorded, let planned):
            return "generation \(number) of \(board) recorded set \(recorded), but its board snapshot plans \(planned)"
        case .missingOutput(let component, let path): return "the \(component) output \(path) is not in the store"
        case .unreadable(let path, let reason): return "cannot read \(path): \(reason)"
        case .unpinnedOSPackage(let path, let line, let package): return "\(path):\(line): the OS image holds \(package), which the board's lock does not pin: the image is not the pinned system"
        }
    }

    public var fix: String? {
        switch self {
        case .noGenerations(let board): return "build it first: `ownerboot build board=\(board)`"
        case .setMismatch: return "ownerboot's hashing changed since that generation; describe a generation built by this version"
        case .missingOutput(let component, _): return "rebuild the generation (`ownerboot build … --generation N`) to bring \(component) back, then `ownerboot store verify`"
        case .unreadable: return "check the file's permissions, then `ownerboot store verify`"
        case .unpinnedOSPackage: return "run `ownerboot store verify` (a changed output) and rebuild the os component; if it comes back, the OS builder installs from outside /inputs/os-packages"
        }
    }
}
