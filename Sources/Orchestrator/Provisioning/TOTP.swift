import Crypto
import Foundation

/// A TOTP secret and its codes: RFC 6238 over RFC 4226 (HMAC-SHA1, 30-second steps from the
/// Unix epoch, 6 digits), what authenticator apps, `oathtool --totp` and the unlocker's
/// `ob-totp` compute. `ownerboot totp enroll` makes one, seals it to the firmware's predicted
/// PCR 2 (`TOTPEnrolment`) and shows it once as an `otpauth://` URI; the scenarios compute the
/// code the console must show. The secret is kept in memory only; `description` never shows it.
public struct TOTP: Sendable, Equatable, CustomStringConvertible {
    /// Seconds per code.
    public static let period: UInt64 = 30
    /// Digits per code.
    public static let digits = 6
    /// The length of a secret `random()` makes: 160 bits, RFC 4226's recommendation (and HMAC-SHA1's block).
    public static let secretLength = 20

    public let secret: [UInt8]

    public init(secret: [UInt8]) { self.secret = secret }

    /// A new secret from the system's cryptographic random source (getrandom on Linux).
    public static func random() -> TOTP {
        var generator = SystemRandomNumberGenerator()
        return TOTP(secret: (0..<secretLength).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public var description: String { "TOTP secret (\(secret.count) bytes, not shown)" }

    /// RFC 4226's HOTP value for `counter`, as `digits` digits (leading zeros kept).
    public func hotp(counter: UInt64, digits: Int = TOTP.digits) -> String {
        var message = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { message[i] = UInt8((counter >> (8 * UInt64(7 - i))) & 0xff) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[19] & 0x0f)
        let binary = (UInt32(mac[offset] & 0x7f) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: max(0, digits - value.count)) + value
    }

    /// The code at `date` (RFC 6238: the HOTP of the number of whole periods since 1970).
    public func code(at date: Date, digits: Int = TOTP.digits) -> String {
        hotp(counter: UInt64(max(0, date.timeIntervalSince1970)) / Self.period, digits: digits)
    }

    /// The codes of the periods from `windows` before `date` to `windows` after it, in order:
    /// what a check that allows for clock drift accepts.
    public func codes(around date: Date, windows: Int = 1) -> [String] {
        (-windows...windows).map { code(at: date.addingTimeInterval(Double($0) * Double(Self.period))) }
    }

    /// The secret in base32 (RFC 4648, no padding): what authenticators take.
    public var base32: String { Self.base32Encode(secret) }

    /// The `otpauth://totp/` URI an authenticator scans (the Key URI format Google
    /// Authenticator defined and other apps follow): `issuer` and `account` name it in the app.
    public func uri(issuer: String = "ownerboot", account: String) -> String {
        func escaped(_ text: String) -> String {
            var allowed = CharacterSet.alphanumerics
            allowed.insert(charactersIn: "-._~")
            return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
        }
        return "otpauth://totp/\(escaped(issuer)):\(escaped(account))?secret=\(base32)&issuer=\(escaped(issuer))&algorithm=SHA1&digits=\(Self.digits)&period=\(Self.period)"
    }

    /// A secret the owner already has, as base32 (spaces and case ignored) or as an
    /// `otpauth://totp/` URI with SHA1, 6 digits and 30 s (the only kind the unlocker computes);
    /// nil for anything else.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        var encoded = trimmed
        if trimmed.lowercased().hasPrefix("otpauth://") {
            guard trimmed.lowercased().hasPrefix("otpauth://totp/"), let components = URLComponents(string: trimmed) else { return nil }
            var query: [String: String] = [:]
            for item in components.queryItems ?? [] { query[item.name.lowercased()] = item.value ?? "" }
            if let algorithm = query["algorithm"], algorithm.uppercased() != "SHA1" { return nil }
            if let digits = query["digits"], digits != "\(Self.digits)" { return nil }
            if let period = query["period"], period != "\(Self.period)" { return nil }
            guard let secret = query["secret"] else { return nil }
            encoded = secret
        }
        guard let secret = Self.base32Decode(encoded), secret.count >= 16 else { return nil }
        self.secret = secret
    }

    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    static func base32Encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = [], buffer = 0, bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                out.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { out.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Base32 (RFC 4648) to bytes; spaces, '-' and '=' padding ignored, case-insensitive; nil
    /// for any other character.
    static func base32Decode(_ text: String) -> [UInt8]? {
        var out: [UInt8] = [], buffer = 0, bits = 0
        for character in text.uppercased().utf8 {
            if character == UInt8(ascii: " ") || character == UInt8(ascii: "-") || character == UInt8(ascii: "=") { continue }
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                out.append(UInt8((buffer >> (bits - 8)) & 0xff))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        return out
    }
}
