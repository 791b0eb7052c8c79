import Foundation
import Support
import Testing
@testable import Orchestrator

/// The owner's key, minisign's formats checked by the real minisign and signify, trusted keys
/// and their refusals, DSSE envelopes.
@Suite struct SigningTests {
    func temporary() throws -> URL { try RepositoryPaths.temporaryDirectory() }

    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func blake2bMatchesRFC7693AndPythonsHashlib() throws {
        #expect(hex(BLAKE2b.hash(Array("abc".utf8))) == "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923")
        // Lengths around the 128-byte block edge, two digest sizes, against an independent
        // implementation (one python3 run prints every case, one line each).
        let lengths = [0, 1, 127, 128, 129, 256, 1000], sizes = [32, 64]
        let script = """
            import hashlib
            for n in \(lengths):
                m = bytes((i * 31 + 7) & 0xff for i in range(n))
                for s in \(sizes):
                    print(hashlib.blake2b(m, digest_size=s).hexdigest())
            """
        let expected = try ProcessRunner().checked("python3", ["-c", script]).stdoutText.split(separator: "\n").map(String.init)
        #expect(expected.count == lengths.count * sizes.count)
        var line = 0
        for length in lengths {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
            for size in sizes {
                #expect(line < expected.count && hex(BLAKE2b.hash(message, digestLength: size)) == expected[line], "length \(length), digest \(size)")
                line += 1
            }
        }
        #expect(BLAKE2b.hash(Array("abd".utf8)) != BLAKE2b.hash(Array("abc".utf8)))
        // Fed in pieces that straddle block edges, the digest is the same as in one call.
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        for pieces in [[1, 127, 128, 129, 615], [128, 128, 744], [0, 999, 1], [300, 700]] {
            var hasher = BLAKE2b()
            var offset = 0
            for count in pieces {
                hasher.update(long[offset..<offset + count])
                offset += count
            }
            #expect(hasher.finalize() == BLAKE2b.hash(long), "pieces \(pieces)")
        }
    }

    @Test func aKeyIsCreated0600RefusesToBeReplacedAndIsRefusedWhenOthersCanReadIt() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("keys/owner.key")
        let key = try OwnerKey.generate(at: url)
        var info = stat()
        #expect(stat(url.path, &info) == 0 && info.st_mode & 0o777 == 0o600)
        #expect(stat(url.deletingLastPathComponent().path, &info) == 0 && info.st_mode & 0o077 == 0)
        let before = try Data(contentsOf: url)
        #expect(throws: SignatureError.keyExists(path: url.path)) { try OwnerKey.generate(at: url) }
        #expect(try Data(contentsOf: url) == before, "the refused generate left the key as it was")
        #expect(try OwnerKey.load(from: url).publicKey == key.publicKey)
        #expect(!"\(key)".contains(String(decoding: before, as: UTF8.self).split(separator: "\n")[1]), "description never shows the secret")
        #expect(try FileManager.default.contentsOfDirectory(atPath: url.deletingLastPathComponent().path).sorted() == ["owner.key", "owner.pub"])

        chmod(url.path, 0o644)
        #expect(throws: SignatureError.keyTooOpen(path: url.path, mode: "644")) { try OwnerKey.load(from: url) }
        chmod(url.path, 0o600)
        #expect(try OwnerKey.load(from: url).publicKey == key.publicKey)
        #expect(throws: SignatureError.noKey(path: dir.appendingPathComponent("none.key").path)) { try OwnerKey.load(from: dir.appendingPathComponent("none.key")) }

        // When the public half cannot be written (a folder is in its place), no secret key is left behind.
        let blocked = dir.appendingPathComponent("blocked/owner.key")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("blocked/owner.pub/inside"), withIntermediateDirectories: true)
        #expect(throws: SignatureError.self) { try OwnerKey.generate(at: blocked) }
        #expect(!FileManager.default.fileExists(atPath: blocked.path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: blocked.deletingLastPathComponent().path) == ["owner.pub"])
    }

    @Test(.enabled(if: SupplyTools.minisign)) func realMinisignVerifiesOurSignatureAndRejectsAFlippedByte() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try OwnerKey.generate(at: dir.appendingPathComponent("owner.key"))
        let pub = dir.appendingPathComponent("owner.pub").path
        var message = Data("ownerboot bundle manifest\n".utf8) + Data((0..<3000).map { UInt8(truncatingIfNeeded: $0) })
        let file = dir.appendingPathComponent("manifest.json"), sig = dir.appendingPathComponent("manifest.json.minisig")
        try message.write(to: file)
        try key.sign(message, trustedComment: "board qemu-x86 generation 3 ").write(to: sig)

        let plain = try SupplyTools.run("minisign", ["-V", "-p", pub, "-m", file.path, "-x", sig.path])
        #expect(plain.ok, "\(plain.text)")
        #expect(plain.text.contains("board qemu-x86 generation 3"))
        let prehashRequired = try SupplyTools.run("minisign", ["-V", "-H", "-p", pub, "-m", file.path, "-x", sig.path])
        #expect(prehashRequired.ok, "\(prehashRequired.text)")

        message[100] ^= 0x01
        try message.write(to: file)
        let flipped = try SupplyTools.run("minisign", ["-V", "-p", pub, "-m", file.path, "-x", sig.path])
        #expect(!flipped.ok)
        #expect(flipped.text.contains("Signature verification failed"), "\(flipped.text)")

        // A changed trusted comment breaks the global signature.
        message[100] ^= 0x01
        try message.write(to: file)
        let text = try String(contentsOf: sig, encoding: .utf8).replacingOccurrences(of: "generation 3", with: "generation 4")
        try text.write(to: sig, atomically: true, encoding: .utf8)
        let comment = try SupplyTools.run("minisign", ["-V", "-p", pub, "-m", file.path, "-x", sig.path])
        #expect(!comment.ok)
        #expect(comment.text.contains("Comment signature verification failed"), "\(comment.text)")
    }

    @Test(.enabled(if: SupplyTools.minisign)) func minisignKeysAndSignaturesWorkHereToo() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyURL = dir.appendingPathComponent("mini.key"), pubURL = dir.appendingPathComponent("mini.pub")
        #expect(try SupplyTools.run("minisign", ["-G", "-W", "-p", pubURL.path, "-s", keyURL.path]).ok)
        let file = dir.appendingPathComponent("m.txt")
        let message = Data("signed by minisign itself\n".utf8)
        try message.write(to: file)
        let keys = TrustedKeys(entries: [.init(key: try MinisignPublicKey.parse(try String(contentsOf: pubURL, encoding: .utf8), source: pubURL.path), source: pubURL.path)])
        for legacy in [false, true] {
            let sig = dir.appendingPathComponent("m.txt.minisig")
            try? FileManager.default.removeItem(at: sig)
            #expect(try SupplyTools.run("minisign", ["-S", "-s", keyURL.path, "-m", file.path, "-t", "a comment ending in a space "] + (legacy ? ["-l"] : [])).ok)
            let signature = try Data(contentsOf: sig)
            #expect(try keys.verify(message: message, signature: signature).keyIDHex == keys.entries[0].key.keyIDHex, "legacy: \(legacy)")
            #expect(throws: SignatureError.self) { try keys.verify(message: message + Data([0x0A]), signature: signature) }
        }
        // A key minisign made (without passphrase) loads as the owner's key and signs.
        let owner = try OwnerKey.load(from: keyURL)
        #expect(owner.publicKey == keys.entries[0].key)
        // ...and the secret key file ownerboot writes is one minisign signs with.
        let ours = try OwnerKey.generate(at: dir.appendingPathComponent("ours.key"))
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("m.txt.minisig"))
        let signed = try SupplyTools.run("minisign", ["-S", "-s", ours.url.path, "-m", file.path])
        #expect(signed.ok, "\(signed.text)")
        let check = try SupplyTools.run("minisign", ["-V", "-p", dir.appendingPathComponent("ours.pub").path, "-m", file.path])
        #expect(check.ok, "\(check.text)")
    }

    @Test(.enabled(if: SupplyTools.signify)) func realSignifyVerifiesOurSignifySignatureAndRejectsAFlippedByte() throws {
        let dir = try temporary()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try OwnerKey.generate(at: dir.appendingPathComponent("owner.key"))
        var message = Data("manifest for signify\n".utf8)
        let file = dir.appendingPathComponent("m"), sig = dir.appendingPathComponent("m.sig")
        try message.write(to: file)
        try key.signifySignature(message).write(to: sig)
        let good = try SupplyTools.run("signify-openbsd", ["-V", "-p", dir.appendingPathComponent("owner.pub").path, "-x", sig.path, "-m", file.path])
        #expect(good.ok, "\(good.text)")
        message[0] ^= 0x20
        try message.write(to: file)
        let bad = try SupplyTools.run("signify-openbsd", ["-V", "-p", dir.appendingPathComponent("owner.pub").path, "-x", sig.path, "-m", file.path])
        #expect(!bad.ok)
    }

    @Test func trustedKeysRefuseUnsignedUnknownAndWronglySignedAndAcceptTheRightKey() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        let owner = try OwnerKey.generate(at: OwnerKey.defaultURL(home: home))
        let stranger = try OwnerKey.generate(at: home.appendingPathComponent("elsewhere/stranger.key"))
        let manifest = Data("{\"board\":\"qemu-x86\"}\n".utf8)

        var keys = try TrustedKeys.load(home: home)
        #expect(keys.entries.map(\.key) == [owner.publicKey])
        #expect(try keys.verify(message: manifest, signature: owner.sign(manifest)) == owner.publicKey)
        #expect(throws: SignatureError.unsigned(what: "the bundle manifest")) { try keys.verify(message: manifest, signature: nil) }
        #expect(throws: SignatureError.unknownKey(keyID: stranger.publicKey.keyIDHex, what: "the bundle manifest", trusted: [owner.publicKey.keyIDHex])) {
            try keys.verify(message: manifest, signature: stranger.sign(manifest))
        }
        var changed = manifest
        changed[3] ^= 0x01
        #expect(throws: SignatureError.badSignature(keyID: owner.publicKey.keyIDHex, what: "the bundle manifest", part: "signature")) {
            try keys.verify(message: changed, signature: owner.sign(manifest))
        }
        #expect(throws: SignatureError.self) { try keys.verifier(changed, owner.sign(manifest)) }
        // The closures export and import take fit together.
        try keys.verifier(manifest, try owner.signer(manifest))
        #expect(throws: SignatureError.self) { try keys.verifier(changed, try owner.signer(manifest)) }

        // Trusting the stranger's public key makes its signature acceptable.
        try TrustedKeys.trust(file: OwnerKey.publicKeyURL(for: stranger.url), home: home)
        keys = try TrustedKeys.load(home: home)
        #expect(Set(keys.entries.map(\.key)) == [owner.publicKey, stranger.publicKey])
        #expect(try keys.verify(message: manifest, signature: stranger.sign(manifest)) == stranger.publicKey)

        // A malformed public key is refused, by trust and by load.
        let junk = home.appendingPathComponent("junk.pub")
        try "untrusted comment: x\nnot base64 at all\n".write(to: junk, atomically: true, encoding: .utf8)
        #expect(throws: SignatureError.malformed(path: junk.path, line: 2, reason: "expected base64 of 42 bytes (\"Ed\", key id, public key)")) {
            try TrustedKeys.trust(file: junk, home: home)
        }
        try FileManager.default.copyItem(at: junk, to: TrustedKeys.directory(home: home).appendingPathComponent("junk.pub"))
        #expect(throws: SignatureError.self) { try TrustedKeys.load(home: home) }
    }

    @Test func aDSSEEnvelopeVerifiesAndATamperedPayloadDoesNot() throws {
        let home = try temporary()
        defer { try? FileManager.default.removeItem(at: home) }
        let owner = try OwnerKey.generate(at: OwnerKey.defaultURL(home: home))
        let keys = try TrustedKeys.load(home: home)
        let payload = Array("{\"_type\":\"https://in-toto.io/Statement/v1\"}".utf8)
        let envelope = DSSEEnvelope.sign(payload: payload, payloadType: "application/vnd.in-toto+json", key: owner)
        #expect(try envelope.verifiedPayload(keys: keys) == payload)
        #expect(try envelope.encoded() == DSSEEnvelope.sign(payload: payload, payloadType: "application/vnd.in-toto+json", key: owner).encoded(), "deterministic")
        var tampered = envelope
        tampered.payload = Data(payload + [0x20]).base64EncodedString()
        #expect(throws: SignatureError.badSignature(keyID: owner.publicKey.keyIDHex, what: "the provenance envelope", part: "DSSE signature")) {
            try tampered.verifiedPayload(keys: keys)
        }
        var retyped = envelope
        retyped.payloadType = "application/json"
        #expect(throws: SignatureError.self) { try retyped.verifiedPayload(keys: keys) }
    }
}

