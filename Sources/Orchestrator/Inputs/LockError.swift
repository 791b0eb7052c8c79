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
    /// The lock pins the package by version only (written before .deb hashes were kept).
    case packageUnpinned(package: String)
    /// apt could not download the pinned version (the mirror dropped it, or there is no network).
    case packageUnavailable(package: String, output: String)
    /// The downloaded or stored .deb is not the one the lock pins.
    case packageMismatch(package: String, file: String, expected: String, actual: String)
    /// The build environment needs a .deb the store does not hold.
    case packageMissing(package: String, entry: String)

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
        case .packageUnpinned(let package): return "the lock pins \(package) without its .deb SHA-256"
        case .packageUnavailable(let package, let output): return "could not download \(package):\n\(output)"
        case .packageMismatch(let package, let file, let expected, let actual):
            return "package \(package): \(file) has SHA-256 \(actual), the lock pins \(expected)"
        case .packageMissing(let package, let entry): return "the store has no .deb for \(package) (store entry \(entry))"
        }
    }

    public var fix: String? {
        switch self {
        case .missing(let board, _), .stale(let board, _): return "run `ownerboot lock board=\(board)` and commit the lock file"
        case .unreadable: return "restore the file from git, or run `ownerboot lock` again"
        case .resolveFailed: return "check the package names and versions, and that `bash scripts/setup.sh` ran (deb-src entry, apt lists)"
        case .sourceMismatch: return "the mirror serves different bytes than were locked: investigate before re-locking"
        case .environmentMismatch: return "read the mmdebstrap log it names; the .debs come from the store (`ownerboot store verify` checks them), so a wrong package set means the lock itself is inconsistent: run `ownerboot lock` and review the diff"
        case .fetchFailed: return "check the network and that `bash scripts/setup.sh` added the deb-src entry"
        case .packageUnpinned: return "run `ownerboot lock` to pin every .deb by hash, and commit the lock file"
        case .packageUnavailable: return "on a machine with the network run `ownerboot fetch` (or import a bundle that holds it); if the mirror dropped the version, `ownerboot lock` moves to what it serves"
        case .packageMismatch: return "the bytes are not what was locked: investigate before re-locking (a stored copy that changed: `ownerboot store verify`)"
        case .packageMissing: return "run `ownerboot fetch board=NAME` while online, or `ownerboot import` a bundle that holds it"
        }
    }
}
