import Crypto
import Foundation

/// The public keys whose signatures the owner accepts: every `*.pub` (minisign format) in
/// `<home>/trusted-keys/` plus the owner's own public key. `verify` checks a minisign
/// signature file against them and says exactly why it refuses: no signature, a key that is
/// not trusted, or a signature (or its trusted comment) that does not match the bytes.
public struct TrustedKeys: Sendable {
    public struct Entry: Sendable, Equatable {
        public var key: MinisignPublicKey
        /// The file it was read from.
        public var source: String
    }

    public var entries: [Entry]

    public init(entries: [Entry]) { self.entries = entries }

    /// `<home>/trusted-keys`.
    public static func directory(home: URL) -> URL { home.appendingPathComponent("trusted-keys") }

    /// The trusted keys of `home`: its `trusted-keys/*.pub` in name order, then the owner's
    /// public key when an owner key exists at `ownerKey`. A malformed `.pub` is an error, not
    /// skipped: the owner put it there to be trusted.
    public static func load(home: URL, ownerKey: URL? = nil) throws(SignatureError) -> TrustedKeys {
        var entries: [Entry] = []
        let directory = Self.directory(home: home)
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter { $0.hasSuffix(".pub") }.sorted()
        for name in names {
            let url = directory.appendingPathComponent(name)
            let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
            try add(Entry(key: try MinisignPublicKey.parse(text, source: url.path), source: url.path), to: &entries)
        }
        // The owner's public key is the one derived from the secret key, never owner.pub
        // alone: a owner.pub that does not belong to owner.key is refused.
        let ownerURL = ownerKey ?? OwnerKey.defaultURL(home: home)
        if FileManager.default.fileExists(atPath: ownerURL.path) {
            let owner = try OwnerKey.load(from: ownerURL)
            let ownerPub = OwnerKey.publicKeyURL(for: ownerURL)
            if let text = try? String(contentsOf: ownerPub, encoding: .utf8) {
                let stated = try MinisignPublicKey.parse(text, source: ownerPub.path)
                guard stated == owner.publicKey else { throw .publicKeyMismatch(publicPath: ownerPub.path, secretPath: ownerURL.path) }
            }
            try add(Entry(key: owner.publicKey, source: ownerURL.path), to: &entries)
        }
        return TrustedKeys(entries: entries)
    }

    /// Adds `entry` unless the same key is there; a different key with its id is refused
    /// (signatures name their key by id only: two keys with one id make it ambiguous).
    static func add(_ entry: Entry, to entries: inout [Entry]) throws(SignatureError) {
        if let other = entries.first(where: { $0.key.keyID == entry.key.keyID }) {
            guard other.key == entry.key else { throw .keyCollision(keyID: entry.key.keyIDHex, path: entry.source, trusted: other.source) }
            return
        }
        entries.append(entry)
    }

    /// A key's full fingerprint: SHA-256 of its 32 raw bytes, lowercase hex.
    public static func fingerprint(_ key: MinisignPublicKey) -> String {
        SHA256.hash(data: key.rawKey).map { String(format: "%02x", $0) }.joined()
    }

    /// Adds the public key file `file` to `<home>/trusted-keys/<KEYID>-<fingerprint>.pub` after
    /// checking it parses and that no trusted key has its id. Returns the key.
    @discardableResult
    public static func trust(file: URL, home: URL) throws(SignatureError) -> MinisignPublicKey {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw .malformed(path: file.path, line: 0, reason: "cannot read the file") }
        let key = try MinisignPublicKey.parse(text, source: file.path)
        let directory = Self.directory(home: home)
        // Named by the full fingerprint: a different key never lands on a trusted one's file,
        // and one whose id a trusted key already has is refused.
        let existing = try load(home: home)
        if let other = existing.entries.first(where: { $0.key.keyID == key.keyID }), other.key != key {
            throw .keyCollision(keyID: key.keyIDHex, path: file.path, trusted: other.source)
        }
        let target = directory.appendingPathComponent("\(key.keyIDHex)-\(fingerprint(key)).pub")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try Data(key.fileText.utf8).write(to: target, options: .atomic)
        } catch {
            throw .writeFailed(path: target.path, reason: error.localizedDescription)
        }
        return key
    }

    /// Verifies a minisign signature file over `message`; returns the key that signed it.
    /// `what` names the signed thing in errors ("the bundle manifest").
    @discardableResult
    public func verify(message: Data, signature: Data?, what: String = "the bundle manifest") throws(SignatureError) -> MinisignPublicKey {
        guard let signature else { throw .unsigned(what: what) }
        let parsed = try MinisignSignature.parse(signature, source: "\(what)'s signature")
        guard let key = entries.first(where: { $0.key.keyID == parsed.keyID })?.key else {
            let id = MinisignPublicKey(keyID: parsed.keyID, rawKey: [UInt8](repeating: 0, count: 32)).keyIDHex
            throw .unknownKey(keyID: id, what: what, trusted: entries.map(\.key.keyIDHex))
        }
        guard key.isValidSignature(parsed.signature, of: parsed.signedBytes(of: Array(message))) else {
            throw .badSignature(keyID: key.keyIDHex, what: what, part: "signature")
        }
        guard key.isValidSignature(parsed.globalSignature, of: parsed.globalSignedBytes) else {
            throw .badSignature(keyID: key.keyIDHex, what: what, part: "trusted comment")
        }
        return key
    }

    /// The verifier closure the bundle import takes.
    public var verifier: @Sendable (_ manifest: Data, _ signature: Data?) throws -> Void {
        let keys = self
        return { manifest, signature in try keys.verify(message: manifest, signature: signature) }
    }
}
