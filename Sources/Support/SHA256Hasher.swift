import Crypto
import Foundation

/// An incremental SHA-256 for bytes that arrive in pieces (a bundle member streamed to disk),
/// so a multi-gigabyte file is hashed without ever sitting in memory whole. `hex` gives the
/// same lowercase hex as `SHA256Digest`.
public struct SHA256Hasher {
    private var hasher = SHA256()

    public init() {}

    public mutating func update<D: DataProtocol>(_ data: D) { hasher.update(data: data) }

    /// Finishes the hash; the hasher must not be used afterwards.
    public func hex() -> String { hasher.finalize().map { String(format: "%02x", $0) }.joined() }
}
