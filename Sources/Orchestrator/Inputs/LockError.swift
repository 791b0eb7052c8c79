import Foundation
import Support

/// Why a board's lock cannot be used.
public enum LockError: UserFacingError, Equatable {
    case missing(board: String, path: String)
    case stale(board: String, path: String)
    case unreadable(path: String, reason: String)
    case resolveFailed(what: String, output: String)
    case sourceMismatch(source: String, file: String, expected: String, actual: String)
    case environmentMismatch(detail: String)
    case fetchFailed(source: String, output: String)

    public var message: String {
        switch self {
        case .missing(let board, let path): return "board \(board) has no lock file (\(path))"
        case .stale(let board, let path): return "\(path) is stale: board \(board)'s build environment or sources changed since it was locked"
        case .unreadable(let path, let reason): return "\(path) cannot be read: \(reason)"
        case .resolveFailed(let what, let output): return "could not resolve \(what):\n\(output)"
        case .sourceMismatch(let source, let file, let expected, let actual):
            return "source \(source): \(file) has SHA-256 \(actual), the lock pins \(expected)"
        case .environmentMismatch(let detail): return "the build environment does not match the lock: \(detail)"
        case .fetchFailed(let source, let output): return "fetching source \(source) failed:\n\(output)"
        }
    }

    public var fix: String? {
        switch self {
        case .missing(let board, _), .stale(let board, _): return "run `ownerboot lock board=\(board)` and commit the lock file"
        case .unreadable: return "restore the file from git, or run `ownerboot lock` again"
        case .resolveFailed: return "check the package names and versions, and that `bash scripts/setup.sh` ran (deb-src entry, apt lists)"
        case .sourceMismatch: return "the mirror serves different bytes than were locked: investigate before re-locking"
        case .environmentMismatch: return "the mirror no longer serves a pinned version; run `ownerboot lock` to move to what it serves and review the diff"
        case .fetchFailed: return "check the network and that `bash scripts/setup.sh` added the deb-src entry"
        }
    }
}
