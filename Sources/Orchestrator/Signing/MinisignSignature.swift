import Foundation

/// A detached signature file in minisign's format:
///
///     untrusted comment: <text>
///     base64("ED" ‖ key id ‖ Ed25519(BLAKE2b-512(message)))
///     trusted comment: <text>
///     base64(Ed25519(signature ‖ trusted comment))
///
/// ownerboot writes the prehashed "ED" form (minisign's default since 0.10, accepted by
/// `minisign -V` with and without `-H`); it also reads the legacy "Ed" form, which signs the
/// message itself. The trusted comment is covered by the second (global) signature.
public struct MinisignSignature: Sendable, Equatable {
    public var prehashed: Bool
    public var keyID: [UInt8]
    public var signature: [UInt8]
    public var untrustedComment: String
    public var trustedComment: String
    public var globalSignature: [UInt8]

    /// The bytes the first signature covers for `message`.
    public func signedBytes(of message: [UInt8]) -> [UInt8] {
        prehashed ? BLAKE2b.hash(message, digestLength: 64) : message
    }

    /// The bytes the global signature covers.
    public var globalSignedBytes: [UInt8] { signature + Array(trustedComment.utf8) }

    public var fileData: Data {
        let algorithm = prehashed ? "ED" : "Ed"
        let text = """
            untrusted comment: \(untrustedComment)
            \(Data(Array(algorithm.utf8) + keyID + signature).base64EncodedString())
            trusted comment: \(trustedComment)
            \(Data(globalSignature).base64EncodedString())

            """
        return Data(text.utf8)
    }

    /// Reads a signature file (`source` names it in errors).
    public static func parse(_ data: Data, source: String) throws(SignatureError) -> MinisignSignature {
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        let untrustedPrefix = "untrusted comment: ", trustedPrefix = "trusted comment: "
        guard lines.count >= 4 else {
            throw .malformed(path: source, line: lines.count, reason: "a minisign signature has 4 lines")
        }
        guard lines[0].hasPrefix(untrustedPrefix) else {
            throw .malformed(path: source, line: 1, reason: "expected `\(untrustedPrefix)`")
        }
        guard let first = Data(base64Encoded: lines[1].trimmingCharacters(in: .whitespaces)), first.count == 74 else {
            throw .malformed(path: source, line: 2, reason: "expected base64 of 74 bytes (algorithm, key id, signature)")
        }
        let bytes = Array(first)
        let algorithm = String(decoding: bytes[0..<2], as: UTF8.self)
        guard algorithm == "ED" || algorithm == "Ed" else {
            throw .malformed(path: source, line: 2, reason: "unsupported signature algorithm \"\(algorithm)\"")
        }
        guard lines[2].hasPrefix(trustedPrefix) else {
            throw .malformed(path: source, line: 3, reason: "expected `\(trustedPrefix)`")
        }
        guard let global = Data(base64Encoded: lines[3].trimmingCharacters(in: .whitespaces)), global.count == 64 else {
            throw .malformed(path: source, line: 4, reason: "expected base64 of a 64-byte signature")
        }
        return MinisignSignature(
            prehashed: algorithm == "ED", keyID: Array(bytes[2..<10]), signature: Array(bytes[10..<74]),
            untrustedComment: String(lines[0].dropFirst(untrustedPrefix.count)),
            // minisign strips only the line end: spaces are part of the signed comment.
            trustedComment: String(lines[2].dropFirst(trustedPrefix.count)),
            globalSignature: Array(global))
    }
}
