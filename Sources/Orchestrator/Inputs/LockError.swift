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
    /// The lock was written before ownerboot kept Debian's signed archive metadata.
    case archiveUnpinned(part: String)
    /// The store (or a bundle) lacks a file of the archive metadata entry.
    case archiveMetadataMissing(entry: String, file: String)
    /// The locked InRelease could not be got again (the mirror moved on, or no network).
    case archiveUnavailable(inRelease: String, detail: String)
    /// InRelease is not signed by the archive keyring (or not one signed block, or another suite).
    case archiveSignature(detail: String)
    /// InRelease or a Packages index is not what the lock or the signed InRelease says.
    case archiveIndexMismatch(file: String, what: String, expected: String, actual: String)
    /// The signed index does not list the pinned package at that version and architecture.
    case packageNotInArchive(package: String, inRelease: String)
    /// A pin or a .deb differs from the signed index's record.
    case packageArchiveMismatch(package: String, what: String, expected: String, actual: String)

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
        case .archiveUnpinned(let part):
            return "the lock pins \(part)'s .debs without Debian's signed archive metadata (InRelease, Packages): it was written before ownerboot kept it, and its .debs cannot be checked against Debian's signature"
        case .archiveMetadataMissing(let entry, let file): return "the archive metadata entry \(entry) lacks \(file)"
        case .archiveUnavailable(let inRelease, let detail): return "cannot get the locked InRelease (SHA-256 \(inRelease)): \(detail)"
        case .archiveSignature(let detail): return "Debian's archive signature does not hold: \(detail)"
        case .archiveIndexMismatch(let file, let what, let expected, let actual):
            return "archive metadata \(file): its \(what) is \(actual), expected \(expected)"
        case .packageNotInArchive(let package, let inRelease):
            return "package \(package) is not in Debian's signed index (InRelease \(inRelease)): the lock pins a .deb the archive never published there"
        case .packageArchiveMismatch(let package, let what, let expected, let actual):
            return "package \(package): \(what) is \(actual), Debian's signed index says \(expected)"
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
        case .archiveUnpinned: return "re-lock it: `ownerboot lock --keep board=NAME` keeps every pin Debian's current index still lists with the same hash and adds the metadata; commit the lock (a bundle made from the old lock must be exported again from a build of the new one)"
        case .archiveMetadataMissing: return "run `ownerboot fetch board=NAME` while online (or import a bundle that carries it)"
        case .archiveUnavailable: return "import a bundle (or copy the store entry) that carries this InRelease, or re-lock with `ownerboot lock --keep` against what the mirror serves now"
        case .archiveSignature, .archiveIndexMismatch, .packageNotInArchive, .packageArchiveMismatch:
            return "nothing was used: these bytes are not what Debian signed; get them from the mirror again, and if a bundle carried them, refuse it"
        }
    }
}
