import Foundation

/// A DSSE envelope (github.com/secure-systems-lab/dsse, v1): a payload, its type and
/// Ed25519 signatures over the pre-authentication encoding
/// `"DSSEv1" SP len(type) SP type SP len(payload) SP payload`. ownerboot signs with the
/// owner's key, naming it by its minisign key id, so the same key verifies the bundle
/// manifest and the provenance. Encoding is deterministic (sorted keys, Ed25519 is
/// deterministic): the same payload and key give the same bytes.
public struct DSSEEnvelope: Codable, Sendable, Equatable {
    public struct Signature: Codable, Sendable, Equatable {
        public var keyid: String
        public var sig: String
    }

    public var payloadType: String
    /// base64 of the payload bytes.
    public var payload: String
    public var signatures: [Signature]

    /// PAE(type, body) from the DSSE specification.
    public static func preAuthenticationEncoding(payloadType: String, payload: [UInt8]) -> [UInt8] {
        let type = Array(payloadType.utf8)
        return Array("DSSEv1 \(type.count) ".utf8) + type + Array(" \(payload.count) ".utf8) + payload
    }

    /// Signs `payload` with `key`.
    public static func sign(payload: [UInt8], payloadType: String, key: OwnerKey) -> DSSEEnvelope {
        let signature = key.rawSignature(preAuthenticationEncoding(payloadType: payloadType, payload: payload))
        return DSSEEnvelope(payloadType: payloadType, payload: Data(payload).base64EncodedString(),
                            signatures: [Signature(keyid: key.publicKey.keyIDHex, sig: Data(signature).base64EncodedString())])
    }

    /// The payload bytes, after checking that a signature by one of `keys` verifies.
    public func verifiedPayload(keys: TrustedKeys, what: String = "the provenance envelope") throws(SignatureError) -> [UInt8] {
        guard let payloadBytes = Data(base64Encoded: payload) else {
            throw .malformed(path: what, line: 0, reason: "the payload is not base64")
        }
        guard !signatures.isEmpty else { throw .unsigned(what: what) }
        let message = Self.preAuthenticationEncoding(payloadType: payloadType, payload: Array(payloadBytes))
        var lastKnown: String?
        for signature in signatures {
            guard let key = keys.entries.first(where: { $0.key.keyIDHex == signature.keyid })?.key else { continue }
            lastKnown = key.keyIDHex
            if let sig = Data(base64Encoded: signature.sig), key.isValidSignature(Array(sig), of: message) { return Array(payloadBytes) }
        }
        if let lastKnown { throw .badSignature(keyID: lastKnown, what: what, part: "DSSE signature") }
        throw .unknownKey(keyID: signatures.map(\.keyid).joined(separator: ", "), what: what, trusted: keys.entries.map(\.key.keyIDHex))
    }

    /// Compact JSON with sorted keys and a trailing newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
