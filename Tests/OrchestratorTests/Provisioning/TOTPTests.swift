import Foundation
import Testing
@testable import Orchestrator

/// The TOTP codes ownerboot computes (the scenarios' `{totp}`) against RFC 6238's and RFC
/// 4226's test vectors, and the secret's base32 and otpauth:// forms.
struct TOTPTests {
    /// RFC 6238 appendix B, SHA1 rows: the secret is ASCII "12345678901234567890", 8 digits.
    @Test func rfc6238Vectors() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let vectors: [(TimeInterval, String)] = [
            (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"), (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
        ]
        for (time, code) in vectors {
            #expect(totp.code(at: Date(timeIntervalSince1970: time), digits: 8) == code, "T=\(time)")
            // Six digits (what authenticators and the unlocker show) are the last six.
            #expect(totp.code(at: Date(timeIntervalSince1970: time)) == String(code.suffix(6)), "T=\(time)")
        }
    }

    /// RFC 4226 appendix D: HOTP values for counters 0-9, 6 digits.
    @Test func rfc4226Vectors() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]
        #expect((0..<10).map { totp.hotp(counter: UInt64($0)) } == expected)
    }

    @Test func codesAroundANowAreThePreviousThisAndTheNextPeriod() {
        let totp = TOTP(secret: Array("12345678901234567890".utf8))
        let codes = totp.codes(around: Date(timeIntervalSince1970: 59))
        #expect(codes == [totp.hotp(counter: 0), totp.hotp(counter: 1), totp.hotp(counter: 2)])
    }

    /// RFC 4648 section 10's base32 vectors (without padding), and back.
    @Test func base32() {
        let vectors = ["": "", "f": "MY", "fo": "MZXQ", "foo": "MZXW6", "foob": "MZXW6YQ", "fooba": "MZXW6YTB", "foobar": "MZXW6YTBOI"]
        for (plain, encoded) in vectors {
            #expect(TOTP.base32Encode(Array(plain.utf8)) == encoded)
            #expect(TOTP.base32Decode(encoded) == Array(plain.utf8))
        }
        #expect(TOTP.base32Decode("mzxw 6ytb-oi======") == Array("foobar".utf8))
        #expect(TOTP.base32Decode("MZXW1") == nil)
    }

    @Test func theURIAuthenticatorsScanGivesTheSameSecretBack() throws {
        let totp = TOTP.random()
        #expect(totp.secret.count == 20)
        #expect(TOTP.random() != totp)
        let uri = totp.uri(account: "qemu-x86 (dev 1)")
        #expect(uri.hasPrefix("otpauth://totp/ownerboot:qemu-x86%20%28dev%201%29?secret=\(totp.base32)&issuer=ownerboot&algorithm=SHA1&digits=6&period=30"))
        #expect(TOTP(parsing: uri + "\n") == totp)
        #expect(TOTP(parsing: totp.base32.lowercased()) == totp)
        // What the unlocker cannot compute is refused, not sealed.
        #expect(TOTP(parsing: uri.replacingOccurrences(of: "SHA1", with: "SHA256")) == nil)
        #expect(TOTP(parsing: uri.replacingOccurrences(of: "digits=6", with: "digits=8")) == nil)
        #expect(TOTP(parsing: "otpauth://hotp/x?secret=\(totp.base32)") == nil)
        #expect(TOTP(parsing: "MZXW6YTBOI") == nil, "fewer than 128 bits")
        // The secret is not in its description (logs, errors).
        #expect(!"\(totp)".contains(totp.base32))
    }
}
