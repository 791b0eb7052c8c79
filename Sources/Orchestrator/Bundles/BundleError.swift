import Foundation
import Support

/// Why a bundle could not be written or was refused. A refused import leaves the store as it
/// was: every check runs on a staging copy before anything is installed.
public enum BundleError: UserFacingError, Equatable {
    case noGeneration(board: String, number: Int?)
    case noSnapshot(board: String, number: Int)
    /// The store lacks an input the generation needs (export) or the bundle lacks one (import).
    case missingInput(what: String, entry: String)
    case corruptEntry(entry: String, recorded: String, actual: String)
    case unsupportedFile(path: String)
    case badExtraName(name: String)
    case pathTooLong(path: String)
    case destinationExists(path: String)
    case unreadable(path: String, reason: String)
    case malformed(offset: Int64, reason: String)
    case unsupportedMember(path: String, type: String)
    case unsafePath(path: String)
    case tooLarge(what: String, limit: Int64)
    case badManifest(reason: String)
    case unexpectedFile(path: String)
    case missingFile(path: String)
    case tamperedFile(path: String, expected: String, actual: String)
    case sizeMismatch(path: String, expected: Int64, actual: Int64)
    case inconsistent(entry: String, reason: String)
    case signatureRefused(reason: String)

    public var message: String {
        switch self {
        case .noGeneration(let board, let number):
            return number.map { "\(board) has no generation \($0) in this store" } ?? "\(board) has no generation in this store"
        case .noSnapshot(let board, let number): return "\(board) generation \(number) has no board snapshot in the store (recorded before snapshots, or collected)"
        case .missingInput(let what, let entry): return "\(what) is not in the store (entry \(entry))"
        case .corruptEntry(let entry, let recorded, let actual): return "store entry \(entry) changed: recorded \(recorded), now \(actual)"
        case .unsupportedFile(let path): return "\(path) is neither a regular file nor a folder; a bundle carries only those"
        case .badExtraName(let name): return "\"\(name)\" cannot name a file in a bundle (use letters, digits, '.', '-', '_'; not manifest.json)"
        case .pathTooLong(let path): return "\(path) is too long for a bundle (ustar: 155-byte folder + 100-byte name)"
        case .destinationExists(let path): return "\(path) already exists"
        case .unreadable(let path, let reason): return "cannot read bundle \(path): \(reason)"
        case .malformed(let offset, let reason): return "the bundle is malformed at byte \(offset): \(reason)"
        case .unsupportedMember(let path, let type): return "bundle member \(path) is of a kind bundles never hold (\(type)); only files and folders are accepted"
        case .unsafePath(let path): return "bundle path \"\(path)\" could escape its folder (absolute, empty, `.`/`..` or control characters)"
        case .tooLarge(let what, let limit): return "\(what) exceeds the limit of \(limit)"
        case .badManifest(let reason): return "the bundle's manifest.json is not valid: \(reason)"
        case .unexpectedFile(let path): return "bundle member \(path) is not listed in the manifest (or not in the manifest's order)"
        case .missingFile(let path): return "the bundle lacks \(path), which its manifest lists"
        case .tamperedFile(let path, let expected, let actual): return "\(path) in the bundle has SHA-256 \(actual), its manifest says \(expected)"
        case .sizeMismatch(let path, let expected, let actual): return "\(path) in the bundle is \(actual) bytes, its manifest says \(expected)"
        case .inconsistent(let entry, let reason): return "bundle entry \(entry) does not match what it claims: \(reason)"
        case .signatureRefused(let reason): return "the bundle's signature was refused: \(reason)"
        }
    }

    public var fix: String? {
        switch self {
        case .noGeneration(let board, _): return "build it first (`ownerboot build board=\(board)`), or list them with `ownerboot generations board=\(board)`"
        case .noSnapshot(let board, _): return "rebuild it (`ownerboot build board=\(board)`) so its generation records a snapshot"
        case .missingInput: return "run `ownerboot fetch` for that board (with --generation N) while online, then export again"
        case .corruptEntry: return "run `ownerboot store verify`; remove the entry and fetch it again"
        case .unsupportedFile, .pathTooLong: return "this store entry cannot be exported; report it"
        case .badExtraName: return "rename the generated file"
        case .destinationExists: return "choose another -o FILE or remove the old one"
        case .signatureRefused: return "get the bundle again from its owner and check whose key signed it; `--allow-unsigned` imports a bundle without a signature only if you accept that"
        default: return "nothing was imported; get an intact copy of the bundle (compare its SHA-256 with the sender's)"
        }
    }
}
