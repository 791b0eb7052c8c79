import Crypto
import Foundation

/// SHA-256 helpers: every content hash in ownerboot (store paths, ROM hashes, source
/// hashes, manifests) is lowercase hex SHA-256 made here.
public enum SHA256Digest {
    public static func hex<D: DataProtocol>(_ data: D) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// The 32 raw digest bytes (a TPM extends a PCR with these, not with hex).
    public static func bytes<D: DataProtocol>(_ data: D) -> [UInt8] {
        Array(SHA256.hash(data: data))
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Hashes a file in 1 MiB chunks, so a large disk image never sits in memory whole.
    public static func hex(fileAt url: URL) throws -> String {
        let handle = try FileHandle(forReadingFrom: url)
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
