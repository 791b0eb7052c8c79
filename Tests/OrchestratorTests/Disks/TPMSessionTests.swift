import Foundation
import Support
import Testing
@testable import Orchestrator

/// ob-unlock's unseal against a bus probe (issue #25, item 4): the session that authorises the
/// Unseal is salted to Clevis's ECC primary and encrypts the response (session.c), its HMAC is
/// checked, and the primary can be pinned by name in the token's "ownerboot" member. Run
/// against swtpm with tokens made by the real Clevis; a loopback proxy between ob-unlock and
/// swtpm's command port stands for the probe: it records every byte and can change one.
@Suite(.serialized) struct TPMSessionTests {
    /// A LUKS2 file with a Clevis tpm2 token (key slot 1, token 0) sealed by Clevis to PCR 2 of
    /// a fresh swtpm, the key Clevis itself recovers, and ob-unlock built from the source.
    struct Setup {
        let dir: URL, disk: URL, unlock: URL, tpm: SoftwareTPM, port: Int, env: [String: String]
        let token: Data, clevisKey: Data
        func close() {
            tpm.close()
            try? FileManager.default.removeItem(at: dir)
        }
    }

    static func setUp() throws -> Setup {
        let dir = try RepositoryPaths.temporaryDirectory()
        let disk = try ClevisInteropTests.luksFile(dir, passphrase: "owner passphrase")
        let unlock = try ClevisInteropTests.obUnlock(dir)
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        let tcti = try #require(tpm.tcti), port = try #require(tpm.port)
        var env = ProcessInfo.processInfo.environment
        env["TPM2TOOLS_TCTI"] = tcti
        let policy = ClevisBinder.TPM2Policy(pcrs: [2: String(repeating: "0", count: 64)])
        try ClevisBinder().bindTPM2(disk: disk, passphrase: Data("owner passphrase".utf8), policy: policy, tcti: tcti, tag: ClevisTokenTag(generation: 3, path: "fallback"))
        let clevisKey = try ProcessRunner(environment: env, timeout: 60).checked("clevis", ["luks", "pass", "-d", disk.path, "-s", "1"]).stdout
        let token = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "0", disk.path]).stdout
        return Setup(dir: dir, disk: disk, unlock: unlock, tpm: tpm, port: port, env: env, token: token, clevisKey: clevisKey)
    }

    /// The token with `"srk":NAME` added to its "ownerboot" member (as enrolment will write it).
    static func pinned(_ token: Data, srk: String) throws -> Data {
        let text = String(decoding: token, as: UTF8.self)
        let tag = "\"ownerboot\":{"
        #expect(text.contains(tag), "\(text)")
        return Data(text.replacingOccurrences(of: tag, with: tag + "\"srk\":\"\(srk)\",").utf8)
    }

    @Test func aClevisTokenUnsealsThroughTheSaltedSessionAndTheStorageKeyPinHolds() throws {
        let s = try Self.setUp()
        defer { s.close() }
        let ours = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: s.token)
        #expect(ours.status == 0, "\(ours.stderrText)")
        #expect(!s.clevisKey.isEmpty && ours.stdout == s.clevisKey)

        // -n prints the primary's TPM name: the one tpm2-tools computes for Clevis's template.
        let printed = try ProcessRunner().run(s.unlock.path, ["-t", "\(s.port)", "-n"])
        #expect(printed.status == 0, "\(printed.stderrText)")
        let name = printed.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(name.count == 68 && name.hasPrefix("000b"), "\(name)")
        let context = s.dir.appendingPathComponent("primary.ctx").path
        try ProcessRunner(environment: s.env).checked("tpm2_createprimary", ["-C", "o", "-g", "sha256", "-G", "ecc", "-c", context])
        let readPublic = try ProcessRunner(environment: s.env).checked("tpm2_readpublic", ["-c", context]).stdoutText
        try ProcessRunner(environment: s.env).checked("tpm2_flushcontext", ["-t"])
        #expect(readPublic.contains("name: \(name)"), "\(readPublic)")

        // The right pin (as printed, or in capitals) opens; a wrong one gets no salt (exit 1).
        for srk in [name, name.uppercased()] {
            let right = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: try Self.pinned(s.token, srk: srk))
            #expect(right.status == 0, "\(right.stderrText)")
            #expect(right.stdout == s.clevisKey)
        }
        let other = "000b" + String(repeating: "5a", count: 32)
        let wrong = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: try Self.pinned(s.token, srk: other))
        #expect(wrong.status == 1, "\(wrong.stderrText)")
        #expect(wrong.stdout.isEmpty)
        #expect(wrong.stderrText.contains("the TPM's storage key is not the one this token was enrolled with"), "\(wrong.stderrText)")
        // A pin that is not a SHA-256 name is refused as damaged, not ignored.
        for damaged in ["000b", "0004" + String(repeating: "5a", count: 32), "000b" + String(repeating: "zz", count: 32)] {
            let refused = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: try Self.pinned(s.token, srk: damaged))
            #expect(refused.status == 1 && refused.stdout.isEmpty, "\(damaged): \(refused.stderrText)")
        }

        // A token without PCRs (Clevis's userwithauth object) unseals through a salted HMAC session.
        try ProcessRunner(environment: s.env, timeout: 120).checked("clevis", ["luks", "bind", "-y", "-k", "-", "-d", s.disk.path, "tpm2", "{}"], stdin: Data("owner passphrase".utf8))
        let bare = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "1", s.disk.path]).stdout
        let unsealed = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: bare)
        #expect(unsealed.status == 0, "\(unsealed.stderrText)")
        #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", s.disk.path], stdin: unsealed.stdout).succeeded)

        // The PCR changed: still the TPM's refusal (exit 3) through the salted policy session.
        try ProcessRunner(environment: s.env).checked("tpm2_pcrextend", ["2:sha256=" + String(repeating: "ab", count: 32)])
        let refused = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: try Self.pinned(s.token, srk: name))
        #expect(refused.status == 3, "\(refused.stderrText)")
    }

    /// What a probe on the bus records: ob-unlock's commands and the TPM's responses. Before
    /// the salted session the Unseal response carried the JWK ({"alg":"A256GCM","k":...,
    /// "kty":"oct"}) in clear; now its outData is AES-CFB ciphertext.
    @Test func theUnsealedKeyDoesNotCrossTheWireInClear() throws {
        let s = try Self.setUp()
        defer { s.close() }
        let probe = try TPMProxy(upstream: s.port, tamper: .none)
        defer { probe.stop() }
        let ours = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(probe.port)"], stdin: s.token)
        #expect(ours.status == 0, "\(ours.stderrText)")
        #expect(ours.stdout == s.clevisKey)

        let exchanges = probe.exchanges
        // The probe saw the whole conversation, the Unseal and its successful response among it.
        let unseal = try #require(exchanges.first { TPMProxy.commandCode($0.command) == 0x15E }, "\(exchanges.count) exchanges")
        #expect(TPMProxy.responseCode(unseal.response) == 0)
        // header, parameterSize, outData: a JWK's length (Clevis's is ~90 bytes), then the session.
        let outData = Int(unseal.response[14]) << 8 | Int(unseal.response[15])
        #expect(outData > 60 && unseal.response.count > 16 + outData, "\(unseal.response.count) \(outData)")
        let start = try #require(exchanges.first { TPMProxy.commandCode($0.command) == 0x176 })
        // StartAuthSession's encryptedSalt is an ECC point (68 bytes), not the empty salt.
        let nonce = Int(start.command[18]) << 8 | Int(start.command[19])
        let salt = Int(start.command[20 + nonce]) << 8 | Int(start.command[21 + nonce])
        #expect(salt == 68)

        let wire = Data(exchanges.flatMap { $0.command + $0.response })
        for clear in ["\"kty\"", "\"k\":", "A256GCM"] {
            #expect(wire.range(of: Data(clear.utf8)) == nil, "\(clear) crossed the wire")
        }
        // Nor does the LUKS passphrase the key decrypts.
        #expect(wire.range(of: s.clevisKey) == nil)
    }

    /// An interposer that changes the Unseal response (its HMAC, or a byte of the encrypted
    /// data) is caught: ob-unlock refuses (exit 1) and writes nothing.
    @Test func aResponseChangedOnTheWireIsRefused() throws {
        let s = try Self.setUp()
        defer { s.close() }
        for tamper in [TPMProxy.Tamper.hmac, .data] {
            let interposer = try TPMProxy(upstream: s.port, tamper: tamper)
            defer { interposer.stop() }
            let changed = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(interposer.port)"], stdin: s.token)
            #expect(changed.status == 1, "\(tamper): \(changed.stderrText)")
            #expect(changed.stdout.isEmpty, "\(tamper)")
            #expect(changed.stderrText.contains("HMAC"), "\(tamper): \(changed.stderrText)")
            #expect(interposer.tampered == 1, "\(tamper)")
        }
        // The same TPM, untouched: the token still opens (the refusals left nothing loaded that matters).
        let clean = try ProcessRunner(timeout: 60).run(s.unlock.path, ["-t", "\(s.port)"], stdin: s.token)
        #expect(clean.status == 0, "\(clean.stderrText)")
        #expect(clean.stdout == s.clevisKey)
    }
}

/// A loopback TCP proxy in front of swtpm's command port that records each command and its
/// response (TPM 2.0 framing: the size at bytes 2-5), and can change a successful Unseal
/// response before ob-unlock reads it.
final class TPMProxy: @unchecked Sendable {
    enum Tamper { case none, hmac, data }
    let port: Int
    private let fd: Int32
    private let upstream: Int
    private let tamper: Tamper
    private let lock = NSLock()
    private var recorded: [(command: [UInt8], response: [UInt8])] = []
    private var changed = 0

    private func locked<T>(_ body: () -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }

    var exchanges: [(command: [UInt8], response: [UInt8])] { locked { recorded } }
    var tampered: Int { locked { changed } }

    static func commandCode(_ b: [UInt8]) -> UInt32 { b.count >= 10 ? UInt32(b[6]) << 24 | UInt32(b[7]) << 16 | UInt32(b[8]) << 8 | UInt32(b[9]) : 0 }
    static func responseCode(_ b: [UInt8]) -> UInt32 { commandCode(b) }

    init(upstream: Int, tamper: Tamper) throws {
        self.upstream = upstream
        self.tamper = tamper
        let listener = try LoopbackListener(backlog: 4)
        let sock = listener.fd
        fd = sock
        port = listener.port
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(sock, nil, nil)
                if connection < 0 { return }
                Thread.detachNewThread { [self] in
                    serve(connection)
                    Foundation.close(connection)
                }
            }
        }
    }

    func stop() { shutdown(fd, Int32(SHUT_RDWR)); Foundation.close(fd) }

    private static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        var have = 0
        while have < count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + have, count - have) }
            if n <= 0 { return nil }
            have += n
        }
        return bytes
    }

    private static func readFrame(_ fd: Int32) -> [UInt8]? {
        guard let header = readExactly(fd, 10) else { return nil }
        let size = Int(header[2]) << 24 | Int(header[3]) << 16 | Int(header[4]) << 8 | Int(header[5])
        guard size >= 10, size <= 65536, let rest = readExactly(fd, size - 10) else { return nil }
        return header + rest
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + sent, bytes.count - sent) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    private func serve(_ client: Int32) {
        let tpm = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { Foundation.close(tpm) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(upstream).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(tpm, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return }
        while let command = Self.readFrame(client), Self.writeAll(tpm, command), var response = Self.readFrame(tpm) {
            if Self.commandCode(command) == 0x15E, Self.responseCode(response) == 0, response.count > 16 {
                switch tamper {
                case .none: break
                case .hmac: response[response.count - 1] ^= 0x01  // the last byte of the session's HMAC
                case .data: response[16] ^= 0x01                  // the first byte of outData
                }
                if tamper != .none { locked { changed += 1 } }
            }
            locked { recorded.append((command, response)) }
            guard Self.writeAll(client, response) else { return }
        }
    }
}
