import Foundation
import Testing
@testable import Orchestrator

/// Trusted keys as an attacker who can hand the owner a public key or write owner.pub: a key
/// whose 64-bit id collides with a trusted one is refused, never replaces it, and owner.pub is
/// checked against the secret key it claims to belong to.
@Suite struct KeyTrustAttackTests {
    func temporary() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-keytrust-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func aKeyWhoseIDCollidesWithATrustedOneIsRefusedAndTheTrustedOneStays() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        let owner = try OwnerKey.generate(at: OwnerKey.defaultURL(home: home))
        let friend = try OwnerKey.generate(at: home.appendingPathComponent("friend/friend.key"))
        // The success it guards: the friend's key is trusted under its full fingerprint.
        let trusted = try TrustedKeys.trust(file: OwnerKey.publicKeyURL(for: friend.url), home: home)
        let files = try FileManager.default.contentsOfDirectory(atPath: TrustedKeys.directory(home: home).path)
        #expect(files == ["\(trusted.keyIDHex)-\(TrustedKeys.fingerprint(trusted)).pub"])
        // An impostor: another Ed25519 key that claims the friend's id.
        let other = try OwnerKey.generate(at: home.appendingPathComponent("impostor/other.key"))
        let impostor = MinisignPublicKey(keyID: friend.publicKey.keyID, rawKey: other.publicKey.rawKey)
        let file = home.appendingPathComponent("impostor.pub")
        try impostor.fileText.write(to: file, atomically: true, encoding: .utf8)
        let refusal = Result { try TrustedKeys.trust(file: file, home: home) }
        let expected = SignatureError.keyCollision(keyID: friend.publicKey.keyIDHex, path: file.path, trusted: TrustedKeys.directory(home: home).appendingPathComponent(files[0]).path)
        #expect((try? refusal.get()) == nil)
        #expect(String(describing: refusal).contains(String(describing: expected)))
        let keys = try TrustedKeys.load(home: home)
        #expect(Set(keys.entries.map(\.key)) == [owner.publicKey, friend.publicKey])
        // The same collision planted straight into the folder makes loading refuse.
        try impostor.fileText.write(to: TrustedKeys.directory(home: home).appendingPathComponent("planted.pub"), atomically: true, encoding: .utf8)
        #expect(throws: SignatureError.self) { try TrustedKeys.load(home: home) }
    }

    @Test func ownerPubThatIsNotTheSecretKeysHalfIsRefused() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        let owner = try OwnerKey.generate(at: OwnerKey.defaultURL(home: home))
        // The success: the owner's key is trusted as derived from owner.key.
        #expect(try TrustedKeys.load(home: home).entries.map(\.key) == [owner.publicKey])
        let other = try OwnerKey.generate(at: home.appendingPathComponent("attacker/attacker.key"))
        let pub = OwnerKey.publicKeyURL(for: owner.url)
        try other.publicKey.fileText.write(to: pub, atomically: true, encoding: .utf8)
        #expect(throws: SignatureError.publicKeyMismatch(publicPath: pub.path, secretPath: owner.url.path)) { try TrustedKeys.load(home: home) }
        // Without owner.key, owner.pub alone is trusted for nothing.
        try FileManager.default.removeItem(at: owner.url)
        #expect(try TrustedKeys.load(home: home).entries.isEmpty)
    }
}
