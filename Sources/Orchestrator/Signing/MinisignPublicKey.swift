import Crypto
import Foundation

/// An Ed25519 public key in minisign's format: `untrusted comment:` line, then
/// base64("Ed" ‖ 8-byte key id ‖ 32-byte key). The same file verifies with
/// `minisign -V -p FILE` and is what `TrustedKeys` holds. Parsing checks length, algorithm
/// and that the key is a valid Ed25519 point.
public struct MinisignPublicKey: Sendable, Equatable, Hashable {
    /// minisign's key number, as stored (little-endian).
    public let keyID: [UInt8]
    /// The raw 32-byte Ed25519 public key.
    public let rawKey: [UInt8]

    public init(keyID: [UInt8], rawKey: [UInt8]) {
        precondition(keyID.count == 8 && rawKey.count == 32)
        self.keyID = keyID
        self.rawKey = rawKey
    }

    /// The key id as minisign prints it (`%016llX` of the little-endian number, no padding).
    public var keyIDHex: String {
        let number = keyID.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
        return String(number, radix: 16, uppercase: true)
    }

    /// base64("Ed" ‖ key id ‖ key): the line minisign's `-P` option also takes.
    public var base64: String { Data(Array("Ed".utf8) + keyID + rawKey).base64EncodedString() }

    /// The whole `.pub` file.
    public var fileText: String { "untrusted comment: minisign public key \(keyIDHex)\n\(base64)\n" }

    /// Whether `signature` is a valid Ed25519 signature of `message` by this key.
    public func isValidSignature(_ signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawKey) else { return false }
        return key.isValidSignature(signature, for: message)
    }

    /// Reads a `.pub` file's text (`source` names it in errors).
    public static func parse(_ text: String, source: String) throws(SignatureError) -> MinisignPublicKey {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard lines.count >= 2, lines[0].hasPrefix("untrusted comment:") else {
            throw .malformed(path: source, line: 1, reason: "a minisign public key starts with an `untrusted comment:` line")
        }
        guard let data = Data(base64Encoded: lines[1]), data.count == 42 else {
            throw .malformed(path: source, line: 2, reason: "expected base64 of 42 bytes (\"Ed\", key id, public key)")
        }
        let bytes = Array(data)
        guard bytes[0] == 0x45, bytes[1] == 0x64 else {
            throw .malformed(path: source, line: 2, reason: "unsupported key algorithm \"\(String(decoding: bytes[0..<2], as: UTF8.self))\" (expected \"Ed\")")
        }
        let raw = Array(bytes[10..<42])
        guard (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw .malformed(path: source, line: 2, reason: "not a valid Ed25519 public key")
        }
        return MinisignPublicKey(keyID: Array(bytes[2..<10]), rawKey: raw)
    }
}
