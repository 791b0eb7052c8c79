import Foundation
import Support

/// What can go wrong with the owner's key, trusted keys and signatures. Each case names the
/// file or key id involved; none ever carries secret key material.
public enum SignatureError: UserFacingError, Equatable {
    /// Something was to be verified but came without a signature.
    case unsigned(what: String)
    /// The signature was made by a key that is not among the trusted ones.
    case unknownKey(keyID: String, what: String, trusted: [String])
    /// The key is trusted but the signature does not match the bytes (or its trusted comment
    /// was changed).
    case badSignature(keyID: String, what: String, part: String)
    /// A key or signature file that is not in minisign's format.
    case malformed(path: String, line: Int, reason: String)
    case keyExists(path: String)
    case noKey(path: String)
    /// The secret key file can be read by others: it is refused, not used.
    case keyTooOpen(path: String, mode: String)
    case writeFailed(path: String, reason: String)
    /// A key whose id a different trusted key already has.
    case keyCollision(keyID: String, path: String, trusted: String)
    /// owner.pub is not the public half of owner.key.
    case publicKeyMismatch(publicPath: String, secretPath: String)

    public var message: String {
        switch self {
        case .unsigned(let what):
            return "\(what) is not signed"
        case .unknownKey(let keyID, let what, let trusted):
            let list = trusted.isEmpty ? "no key is trusted" : "trusted: \(trusted.joined(separator: ", "))"
            return "\(what) is signed by key \(keyID), which is not trusted (\(list))"
        case .badSignature(let keyID, let what, let part):
            return "\(what): the \(part) does not verify with trusted key \(keyID): the bytes or the signature were changed"
        case .malformed(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .keyExists(let path):
            return "an owner key already exists at \(path); it was left as it is"
        case .noKey(let path):
            return "no owner key at \(path)"
        case .keyTooOpen(let path, let mode):
            return "the secret key \(path) has mode \(mode): other users may read it, so it is not used"
        case .writeFailed(let path, let reason):
            return "could not write \(path): \(reason)"
        case .keyCollision(let keyID, let path, let trusted):
            return "\(path) has key id \(keyID), which the different trusted key \(trusted) already has: it is not trusted, and that key is left as it is"
        case .publicKeyMismatch(let publicPath, let secretPath):
            return "\(publicPath) is not the public half of \(secretPath): the owner's key is taken from the secret key, and this public key is refused"
        }
    }

    public var fix: String? {
        switch self {
        case .unsigned: return "ask for a signed copy, or pass --allow-unsigned if you accept it unsigned"
        case .unknownKey(let keyID, _, _): return "if you trust key \(keyID), add its public key with `ownerboot key trust FILE.pub`"
        case .badSignature: return "do not use these bytes; get them again from their owner"
        case .malformed: return "use a file written by `ownerboot key` or minisign"
        case .keyExists: return "use that key (`ownerboot key show`), or move it away first to make a new one"
        case .noKey: return "make one with `ownerboot key generate`"
        case .keyTooOpen(let path, _): return "chmod 600 \(path) (and check who may have read it)"
        case .writeFailed: return "check that the folder exists and is writable"
        case .keyCollision: return "ask the key's owner to make a new key (a key id is only 64 bits); do not replace the trusted one unless you mean to stop trusting it"
        case .publicKeyMismatch(let publicPath, _): return "find out who changed \(publicPath); then replace it with the first two lines `ownerboot key show` prints once it is removed"
        }
    }
}
