import Foundation
import Support
import Testing
@testable import Orchestrator

/// ob-unlock under a hostile network or token (issue #25, item 5): a tang server that answers a
/// byte at a time, a TPM that never answers, and sss tokens that ask for more children than the
/// unlocker starts. Every case must end, quickly, with the passphrase prompt's exit status.
/// ob-unlock is built as ClevisInteropTests builds it (the recipe's Makefile and flags); the
/// hostile servers are small python3 programs on 127.0.0.1 this test starts and stops.
@Suite(.serialized) struct ObUnlockDeadlineTests {
    /// A python3 server on 127.0.0.1 (an ephemeral port, printed on its first line).
    final class LoopbackServer: @unchecked Sendable {
        let process = Process()
        let port: Int
        init(python script: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var line = Data()
            while let byte = try out.fileHandleForReading.read(upToCount: 1), !byte.isEmpty, byte != Data("\n".utf8) { line.append(byte) }
            guard let port = Int(String(decoding: line, as: UTF8.self)) else {
                kill(process.processIdentifier, SIGKILL)
                throw POSIXError(.EADDRNOTAVAIL)
            }
            self.port = port
        }
        /// SIGKILL: a process Foundation starts inherits a signal mask that blocks SIGTERM.
        func stop() {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// An HTTP server that sends a 200 reply one byte every 2.5 s (ob-unlock used to restart its
    /// poll after each byte: this held it for the whole reply, minutes).
    static let dripServer = """
        import socket, threading, time
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        print(s.getsockname()[1], flush=True)
        reply = b"HTTP/1.1 200 OK\\r\\nContent-Type: application/jwk+json\\r\\nContent-Length: 100\\r\\n\\r\\n" + b"{" * 100
        def drip(c):
            try:
                for b in reply:
                    c.sendall(bytes([b]))
                    time.sleep(2.5)
            except OSError:
                pass
            c.close()
        while True:
            c, _ = s.accept()
            threading.Thread(target=drip, args=(c,), daemon=True).start()
        """

    /// A "TPM simulator" port that accepts every connection and never answers.
    static let silentServer = """
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(64)
        print(s.getsockname()[1], flush=True)
        held = []
        while True:
            c, _ = s.accept()
            held.append(c)
        """

    // Tokens made by hand: the pins' headers are what is under test, never their keys.
    static func b64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }
    static let iv = b64url(Data(count: 12)), tag = b64url(Data(count: 16)), ciphertext = b64url(Data("x".utf8))
    /// A compact JWE (an sss token's inner pin) with this protected header.
    static func compact(_ header: String) -> String { [b64url(Data(header.utf8)), "", iv, ciphertext, tag].joined(separator: ".") }
    /// The LUKS2 token `cryptsetup token export` prints, its JWE of this protected header.
    static func luksToken(_ header: String) -> Data {
        Data("{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":{\"ciphertext\":\"\(ciphertext)\",\"iv\":\"\(iv)\",\"protected\":\"\(b64url(Data(header.utf8)))\",\"tag\":\"\(tag)\"}}".utf8)
    }
    /// A tpm2 pin's header: TPM2B blobs the TPM is asked to load (any TPM refuses them, a silent one never says).
    static let tpm2Header = "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"clevis\":{\"pin\":\"tpm2\",\"tpm2\":{\"hash\":\"sha256\",\"key\":\"ecc\",\"jwk_pub\":\"\(b64url(Data([0, 2, 0x61, 0x62])))\",\"jwk_priv\":\"\(b64url(Data([0, 2, 0x63, 0x64])))\"}}}"
    static func sssHeader(threshold: Int, pins: [String]) -> String {
        let list = pins.map { "\"\($0)\"" }.joined(separator: ",")
        return "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"clevis\":{\"pin\":\"sss\",\"sss\":{\"t\":\(threshold),\"p\":\"\(b64url(Data(repeating: 0xff, count: 32)))\",\"jwe\":[\(list)]}}}"
    }

    /// Live (not zombie) processes running this ob-unlock binary.
    static func running(_ binary: URL) throws -> [String] {
        try ProcessRunner().checked("ps", ["-e", "-o", "stat=,args="]).stdoutText.split(separator: "\n")
            .filter { $0.contains(binary.path) && !$0.trimmingCharacters(in: .whitespaces).hasPrefix("Z") }.map(String.init)
    }

    @Test func aTangServerDrippingAByteEvery2_5sEndsTheExchangeAtItsDeadlineAndRealTangStillOpens() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try ClevisInteropTests.luksFile(dir, passphrase: "owner passphrase")
        let unlock = try ClevisInteropTests.obUnlock(dir)
        let keys = try ClevisInteropTests.tangKeys(dir)
        let drip = try LoopbackServer(python: Self.dripServer)
        defer { drip.stop() }
        let tang = try ClevisInteropTests.LoopbackTang(database: keys.db.path)
        defer { tang.stop() }
        // Token 0 names the dripping server, token 1 the real tangd: one advertisement, so binding needs neither.
        try ClevisBinder().bindTang(disk: disk, passphrase: Data("owner passphrase".utf8), url: "http://127.0.0.1:\(drip.port)", advertisement: keys.adv)
        try ClevisBinder().bindTang(disk: disk, passphrase: Data("owner passphrase".utf8), url: "http://127.0.0.1:\(tang.port)", advertisement: keys.adv)
        let slowToken = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "0", disk.path]).stdout
        let token = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "1", disk.path]).stdout

        let slow = try ProcessRunner(timeout: 120).run(unlock.path, [], stdin: slowToken)
        #expect(slow.status == 4, "\(slow.stderrText)")
        #expect(slow.stdout.isEmpty)
        #expect(slow.stderrText.contains("did not answer within 5 s"), "\(slow.stderrText)")
        // One deadline for connect, send and every read: about 5 s, however the bytes trickle in.
        #expect(slow.seconds > 4 && slow.seconds < 8, "\(slow.seconds) s")

        // The real tang beside it still opens the disk, at once.
        let ours = try ProcessRunner(timeout: 60).run(unlock.path, [], stdin: token)
        #expect(ours.status == 0, "\(ours.stderrText)")
        #expect(ours.seconds < 3, "\(ours.seconds) s")
        #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: ours.stdout).succeeded)

        // Inside sss the tang pin keeps its own deadline and reports itself: exit 4, not a kill.
        let tangPin = String(decoding: slowToken, as: UTF8.self)
        let protected = try #require(tangPin.range(of: "\"protected\":\"").map { String(tangPin[$0.upperBound...].prefix { $0 != "\"" }) })
        let header = try #require(Data(base64Encoded: protected.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            .padding(toLength: (protected.count + 3) / 4 * 4, withPad: "=", startingAt: 0)))
        let sss = try ProcessRunner(timeout: 120).run(unlock.path, [], stdin: Self.luksToken(Self.sssHeader(threshold: 1, pins: [Self.compact(String(decoding: header, as: UTF8.self))])))
        #expect(sss.status == 4, "\(sss.stderrText)")
        #expect(sss.stderrText.contains("did not answer within 5 s") && sss.stderrText.contains("0 of 1 pins answered"), "\(sss.stderrText)")
        #expect(sss.seconds < 8, "\(sss.seconds) s")
    }

    @Test func sssChildrenShareOneDeadlineThenAreKilledAndNoneOutlivesObUnlock() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let unlock = try ClevisInteropTests.obUnlock(dir)
        let tpm = try LoopbackServer(python: Self.silentServer)
        defer { tpm.stop() }
        // Two levels: the outer pins, and an inner sss of two more; every TPM command hangs.
        let inner = Self.compact(Self.sssHeader(threshold: 2, pins: [Self.tpm2Header, Self.tpm2Header].map(Self.compact)))
        let token = Self.luksToken(Self.sssHeader(threshold: 2, pins: [Self.compact(Self.tpm2Header), inner]))
        let stuck = try ProcessRunner(timeout: 120).run(unlock.path, ["-t", "\(tpm.port)"], stdin: token)
        #expect(stuck.status == 1, "\(stuck.stderrText)")
        #expect(stuck.stdout.isEmpty)
        // The inner level stops its two first (250 ms before its parent), then the outer its one.
        #expect(stuck.stderrText.contains("0 of 2 pins answered within 8 s, 2 needed (2 stopped at the deadline)"), "\(stuck.stderrText)")
        #expect(stuck.stderrText.contains("0 of 2 pins answered within 8 s, 2 needed (1 stopped at the deadline)"), "\(stuck.stderrText)")
        // sss.h's SSS_SECONDS (8) and not a second more per level.
        #expect(stuck.seconds > 7 && stuck.seconds < 11, "\(stuck.seconds) s")
        let after = try Self.running(unlock)
        #expect(after.isEmpty, "\(after)")

        // ob-unlock killed from outside (the unlocker's own timeout, a console ^C): its children die with it.
        let process = Process()
        process.executableURL = unlock
        process.arguments = ["-t", "\(tpm.port)"]
        let input = Pipe()
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        input.fileHandleForWriting.write(token)
        try input.fileHandleForWriting.close()
        var started: [String] = []
        for _ in 0..<50 where started.count < 5 {
            Thread.sleep(forTimeInterval: 0.1)
            started = try Self.running(unlock)
        }
        #expect(started.count == 5, "\(started)") // ob-unlock, 2 pins, the inner level's 2
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        var left = try Self.running(unlock)
        for _ in 0..<20 where !left.isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
            left = try Self.running(unlock)
        }
        #expect(left.isEmpty, "\(left)")
    }

    @Test func anSSSTokenAskingForMorePinsThanTheCapIsRefusedAtOnceWithTheCapNamed() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let unlock = try ClevisInteropTests.obUnlock(dir)
        let pin = Self.compact(Self.tpm2Header)
        let many = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "1"], stdin: Self.luksToken(Self.sssHeader(threshold: 1, pins: Array(repeating: pin, count: 17))))
        #expect(many.status == 1, "\(many.stderrText)")
        #expect(many.stderrText.contains("more than 16 pins (at most 16 per sss token)"), "\(many.stderrText)")
        #expect(many.seconds < 2, "\(many.seconds) s")
        // 16 is the cap, not past it: those pins run (and fail: nothing listens on port 1).
        let sixteen = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "1"], stdin: Self.luksToken(Self.sssHeader(threshold: 1, pins: Array(repeating: pin, count: 16))))
        #expect(sixteen.status == 1 && sixteen.stderrText.contains("0 of 16 pins answered, 1 needed"), "\(sixteen.stderrText)")
    }

    @Test func nestedSSSTokensThatWouldStartMoreThan32ChildrenInAllAreRefusedBeforeAnyStarts() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let unlock = try ClevisInteropTests.obUnlock(dir)
        let pin = Self.compact(Self.tpm2Header)
        func nested(_ outer: Int, _ inner: Int) -> Data {
            let group = Self.compact(Self.sssHeader(threshold: 1, pins: Array(repeating: pin, count: inner)))
            return Self.luksToken(Self.sssHeader(threshold: 1, pins: Array(repeating: group, count: outer)))
        }
        // 3 groups of 16: 51 children, each level within its own cap of 16.
        let wide = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "1"], stdin: nested(3, 16))
        #expect(wide.status == 1, "\(wide.stderrText)")
        #expect(wide.stderrText.contains("ask for more than 32 pins in all (at most 32)"), "\(wide.stderrText)")
        #expect(!wide.stderrText.contains("pins answered"), "\(wide.stderrText)")
        #expect(wide.seconds < 2, "\(wide.seconds) s")
        // Three levels of sss, 4 x 4 x 2: 4 + 16 + 32 children.
        let threeLevels: (Int, Int, Int) -> Data = { a, b, c in
            let bottom = Self.compact(Self.sssHeader(threshold: 1, pins: Array(repeating: pin, count: c)))
            let middle = Self.compact(Self.sssHeader(threshold: 1, pins: Array(repeating: bottom, count: b)))
            return Self.luksToken(Self.sssHeader(threshold: 1, pins: Array(repeating: middle, count: a)))
        }
        let deep = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "1"], stdin: threeLevels(4, 4, 2))
        #expect(deep.status == 1 && deep.stderrText.contains("at most 32"), "\(deep.stderrText)")
        // Exactly 32 (2 groups of 15 and the 2 groups themselves) runs: the pins fail, no cap is named.
        let fits = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "1"], stdin: nested(2, 15))
        #expect(fits.status == 1 && fits.stderrText.contains("0 of 2 pins answered, 1 needed") && !fits.stderrText.contains("at most 32"), "\(fits.stderrText)")
    }
}
