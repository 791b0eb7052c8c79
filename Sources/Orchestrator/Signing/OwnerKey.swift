import Crypto
import Foundation

/// The owner's Ed25519 signing key. It lives outside the store (`$OWNERBOOT_HOME/keys/owner.key`
/// by default), in minisign's secret key format without a passphrase (so `minisign -S -s` can
/// use it too), created with mode 0600 from the first byte (no moment where another user could
/// read it) and never overwritten. `load` refuses a file others may read. Neither this type
/// nor its errors ever print the secret key; `description` shows only the public key id.
///
/// A passphrase-less key is a deliberate first step: the file's protection is its mode and the
/// owner's disk encryption. minisign's scrypt-encrypted format is not implemented yet.
public struct OwnerKey: Sendable, CustomStringConvertible {
    public let publicKey: MinisignPublicKey
    /// The 32-byte Ed25519 seed. Kept as bytes (swift-crypto's key type is not Sendable) and
    /// turned into a key for each signature.
    private let seed: [UInt8]
    private var privateKey: Curve25519.Signing.PrivateKey {
        // The seed was validated when the key was made or loaded.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }
    /// The file it was loaded from or written to.
    public let url: URL

    /// `<home>/keys/owner.key`: beside the store, never inside it.
    public static func defaultURL(home: URL) -> URL { home.appendingPathComponent("keys/owner.key") }

    /// Where the public half is written: the key's path with `.pub` for `.key`.
    public static func publicKeyURL(for keyURL: URL) -> URL {
        keyURL.deletingPathExtension().appendingPathExtension("pub")
    }

    public var description: String { "OwnerKey(\(publicKey.keyIDHex), \(url.path))" }

    /// Makes a new key at `url` (and its `.pub` beside it). Refuses if a key is already there.
    public static func generate(at url: URL) throws(SignatureError) -> OwnerKey {
        let privateKey = Curve25519.Signing.PrivateKey()
        var keyID = [UInt8](repeating: 0, count: 8)
        var generator = SystemRandomNumberGenerator()
        for i in keyID.indices { keyID[i] = UInt8.random(in: 0...255, using: &generator) }
        let key = OwnerKey(publicKey: MinisignPublicKey(keyID: keyID, rawKey: Array(privateKey.publicKey.rawRepresentation)), seed: Array(privateKey.rawRepresentation), url: url)
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .writeFailed(path: directory.path, reason: error.localizedDescription)
        }
        try SecretFile.create(at: url, contents: Data(key.secretKeyFileText.utf8))
        let pub = publicKeyURL(for: url)
        do {
            try Data(key.publicKey.fileText.utf8).write(to: pub, options: .atomic)
        } catch {
            // Leave no half-made pair: the secret key just created goes too.
            unlink(url.path)
            throw .writeFailed(path: pub.path, reason: error.localizedDescription)
        }
        return key
    }

    /// Reads the key at `url`. Refuses a file with group or other permission bits, and one
    /// whose stored public half does not belong to its secret half.
    public static func load(from url: URL) throws(SignatureError) -> OwnerKey {
        var info = stat()
        guard stat(url.path, &info) == 0 else { throw .noKey(path: url.path) }
        guard info.st_mode & 0o077 == 0 else {
            throw .keyTooOpen(path: url.path, mode: String(info.st_mode & 0o777, radix: 8))
        }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw .noKey(path: url.path) }
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        guard lines.count >= 2, lines[0].hasPrefix("untrusted comment:") else {
            throw .malformed(path: url.path, line: 1, reason: "a minisign secret key starts with an `untrusted comment:` line")
        }
        guard let decoded = Data(base64Encoded: lines[1].trimmingCharacters(in: .whitespaces)), decoded.count == 158 else {
            throw .malformed(path: url.path, line: 2, reason: "expected base64 of a 158-byte minisign secret key")
        }
        let bytes = Array(decoded)
        guard bytes[0..<2] == [0x45, 0x64][...], bytes[4..<6] == Array("B2".utf8)[...] else {
            throw .malformed(path: url.path, line: 2, reason: "not an Ed25519 minisign key with a BLAKE2b checksum")
        }
        guard bytes[2..<4] == [0, 0][...] else {
            throw .malformed(path: url.path, line: 2, reason: "the key is encrypted with a passphrase, which ownerboot cannot open yet; re-create it without (`minisign -C -W`) or make a new one")
        }
        let keyID = Array(bytes[54..<62]), secret = Array(bytes[62..<126]), checksum = Array(bytes[126..<158])
        // minisign writes a zero checksum for keys it made without a passphrase; a non-zero
        // one must match.
        if checksum.contains(where: { $0 != 0 }), BLAKE2b.hash(Array(bytes[0..<2]) + keyID + secret, digestLength: 32) != checksum {
            throw .malformed(path: url.path, line: 2, reason: "the key's checksum does not match: the file is damaged")
        }
        guard let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: secret[0..<32]),
              Array(privateKey.publicKey.rawRepresentation) == Array(secret[32..<64]) else {
            throw .malformed(path: url.path, line: 2, reason: "the secret and public halves do not belong together: the file is damaged")
        }
        return OwnerKey(publicKey: MinisignPublicKey(keyID: keyID, rawKey: Array(privateKey.publicKey.rawRepresentation)), seed: Array(secret[0..<32]), url: url)
    }

    /// The secret key file: minisign's layout ("Ed", no KDF, "B2", empty salt and limits,
    /// key id, seed ‖ public key, BLAKE2b-256 checksum).
    private var secretKeyFileText: String {
        let secret = seed + publicKey.rawKey
        let checksum = BLAKE2b.hash(Array("Ed".utf8) + publicKey.keyID + secret, digestLength: 32)
        let bytes = Array("Ed".utf8) + [0, 0] + Array("B2".utf8) + [UInt8](repeating: 0, count: 48) + publicKey.keyID + secret + checksum
        return "untrusted comment: ownerboot owner secret key \(publicKey.keyIDHex) (no passphrase)\n\(Data(bytes).base64EncodedString())\n"
    }

    /// A detached minisign signature file for `message` (prehashed "ED" form). The trusted
    /// comment is signed too; keep it free of anything secret.
    public func sign(_ message: Data, trustedComment: String = "ownerboot") -> Data {
        var signature = MinisignSignature(prehashed: true, keyID: publicKey.keyID, signature: [], untrustedComment: "signature from ownerboot key \(publicKey.keyIDHex)",
                                          trustedComment: trustedComment.replacingOccurrences(of: "\n", with: " ").replacingOccurrences(of: "\r", with: " "), globalSignature: [])
        signature.signature = rawSignature(signature.signedBytes(of: Array(message)))
        signature.globalSignature = rawSignature(signature.globalSignedBytes)
        return signature.fileData
    }

    /// The signer closure the bundle export takes: manifest bytes → minisign signature file.
    public var signer: @Sendable (Data) throws -> Data {
        let key = self
        return { manifest in key.sign(manifest, trustedComment: "ownerboot bundle manifest, key \(key.publicKey.keyIDHex)") }
    }

    /// A detached signature in OpenBSD signify's format (`signify -V -p owner.pub -x FILE.sig
    /// -m FILE`): base64("Ed" ‖ key id ‖ Ed25519(message)). signify reads the same `.pub`.
    public func signifySignature(_ message: Data) -> Data {
        let bytes = Array("Ed".utf8) + publicKey.keyID + rawSignature(Array(message))
        return Data("untrusted comment: verify with ownerboot key \(publicKey.keyIDHex)\n\(Data(bytes).base64EncodedString())\n".utf8)
    }

    /// A plain Ed25519 signature of `bytes` (RFC 8032, deterministic): what a DSSE envelope holds.
    public func rawSignature(_ bytes: [UInt8]) -> [UInt8] {
        // Ed25519 signing over an in-memory key cannot fail; a failure here is a broken library.
        Array(try! privateKey.signature(for: bytes))
    }
}
