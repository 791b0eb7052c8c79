import Foundation
import Support
import Testing
@testable import Orchestrator

/// The TOTP secret end to end with the real tools and a real (software) TPM 2.0: ownerboot
/// seals it (`TOTPEnrolment`: `clevis encrypt tpm2`, `cryptsetup token import`), the unlocker's
/// `ob-totp` (compiled here through the unlocker's Makefile, its hardening flags and -Werror)
/// unseals it and prints the code `oathtool --totp` computes for the same secret and time, and
/// is refused once PCR 2 changes; and init/totp.sh's show_totp under busybox sh says the code,
/// the warning or nothing.
@Suite(.serialized) struct TOTPInteropTests {
    static let source = RepositoryPaths.root.appendingPathComponent("recipes/unlocker/ob-unlock")
    static let zeros = String(repeating: "0", count: 64)

    static func build(_ dir: URL, _ target: String) throws -> URL {
        try ProcessRunner().checked("make", ["-s", "-C", source.path, "O=\(dir.path)", target])
        return dir.appendingPathComponent(target)
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test func obTOTPShowsOathtoolsCodeWhilePCR2HoldsTheSealedValueAndIsRefusedAfter() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try ClevisInteropTests.luksFile(dir, passphrase: "owner passphrase")
        let obTOTP = try Self.build(dir, "ob-totp"), obUnlock = try Self.build(dir, "ob-unlock")
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        defer { tpm.close() }
        let tcti = try #require(tpm.tcti), port = try #require(tpm.port)

        // A fresh TPM's PCR 2 is all zeros: seal to that (a prediction, not a read).
        let enrolment = TOTPEnrolment(seals: [.init(policy: ClevisBinder.TPM2Policy(pcrs: [2: Self.zeros]), tag: ClevisTokenTag(generation: 7, path: "fallback"), sealedTo: "zeros")])
        let totp = TOTP.random()
        let enrolled = try enrolment.enrol(totp, disk: disk, tcti: tcti)
        #expect(enrolled.containers == ["disk"] && enrolled.removed == 0)
        #expect(try TOTPEnrolment.tokenIDs(in: disk) == [0])
        let token = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "0", disk.path]).stdout
        let text = String(decoding: token, as: UTF8.self)
        #expect(text.contains("\"type\":\"ownerboot-totp\"") && text.contains("\"keyslots\":[]") && text.contains("\"ownerboot\":{\"generation\":7,\"path\":\"fallback\",\"srk\":\"000b"), "\(text)")
        // The secret is sealed: it is not in the header in any plain form.
        let header = try Data(contentsOf: disk).prefix(16 << 20)
        #expect(header.range(of: Data(totp.secret)) == nil && header.range(of: Data(totp.base32.utf8)) == nil)

        for time in [1_700_000_000, 2_000_000_029, Int(Date().timeIntervalSince1970)] {
            let shown = try ProcessRunner().run(obTOTP.path, ["-t", "\(port)", "-s", "\(time)"], stdin: token)
            #expect(shown.status == 0, "\(shown.stderrText)")
            let oathtool = try ProcessRunner().checked("oathtool", ["--totp", "-N", "@\(time)", Self.hex(totp.secret)]).stdoutText
            #expect(shown.stdoutText == oathtool, "T=\(time)")
            #expect(shown.stdoutText == totp.code(at: Date(timeIntervalSince1970: TimeInterval(time))) + "\n")
        }
        // Without -s: the system clock.
        let now = try ProcessRunner().run(obTOTP.path, ["-t", "\(port)"], stdin: token)
        #expect(totp.codes(around: Date()).contains(now.stdoutText.trimmingCharacters(in: .newlines)), "\(now.stdoutText) \(now.stderrText)")
        // The storage key is pinned as in the Clevis tokens: another key's name gets no salt, no code.
        let srk = try #require(text.range(of: "\"srk\":\"").map { String(text[$0.upperBound...].prefix(68)) })
        #expect(srk.hasPrefix("000b") && srk.count == 68)
        let otherKey = Data(text.replacingOccurrences(of: srk, with: "000b" + String(repeating: "0", count: 64)).utf8)
        let pinned = try ProcessRunner().run(obTOTP.path, ["-t", "\(port)"], stdin: otherKey)
        #expect(pinned.status != 0 && pinned.stdout.isEmpty, "\(pinned.stderrText)")
        // The unattended unlock never takes it for a key: not a Clevis token (exit 2).
        #expect(try ProcessRunner().run(obUnlock.path, ["-t", "\(port)"], stdin: token).status == 2)

        // Another firmware measured something else into PCR 2: the TPM refuses (exit 3), no code.
        var env = ProcessInfo.processInfo.environment
        env["TPM2TOOLS_TCTI"] = tcti
        try ProcessRunner(environment: env).checked("tpm2_pcrextend", ["2:sha256=" + String(repeating: "ab", count: 32)])
        let refused = try ProcessRunner().run(obTOTP.path, ["-t", "\(port)"], stdin: token)
        #expect(refused.status == 3, "\(refused.stderrText)")
        #expect(refused.stdout.isEmpty)
    }

    @Test func aSecondSecretNeedsReplaceAndTheSameSecretIsAddedBeside() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try ClevisInteropTests.luksFile(dir, passphrase: "owner passphrase")
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        defer { tpm.close() }
        let tcti = try #require(tpm.tcti)
        let seal = TOTPEnrolment.Seal(policy: ClevisBinder.TPM2Policy(pcrs: [2: Self.zeros]), tag: nil, sealedTo: "zeros")
        let enrolment = TOTPEnrolment(seals: [seal])
        _ = try enrolment.enrol(TOTP.random(), disk: disk, tcti: tcti)
        #expect(throws: TOTPError.alreadyEnrolled(disk: disk.path, containers: ["disk"])) { try enrolment.enrol(TOTP.random(), disk: disk, tcti: tcti) }
        #expect(try TOTPEnrolment.tokenIDs(in: disk) == [0])
        // --secret-stdin: the same secret for another ROM, beside (two paths here).
        _ = try TOTPEnrolment(seals: [seal, seal]).enrol(TOTP.random(), disk: disk, tcti: tcti, add: true)
        #expect(try TOTPEnrolment.tokenIDs(in: disk) == [0, 1, 2])
        // The same secret for the same ROM generation and path again: nothing to add.
        let tagged = TOTPEnrolment.Seal(policy: seal.policy, tag: ClevisTokenTag(generation: 4, path: "normal"), sealedTo: "gen 4")
        let first = try TOTPEnrolment(seals: [tagged]).enrol(TOTP.random(), disk: disk, tcti: tcti, add: true)
        let again = try TOTPEnrolment(seals: [tagged]).enrol(TOTP.random(), disk: disk, tcti: tcti, add: true)
        #expect(first.sealedTo == ["gen 4"] && again.sealedTo.isEmpty && again.alreadySealed == ["gen 4"])
        #expect(try TOTPEnrolment.tokenIDs(in: disk) == [0, 1, 2, 3])
        // --replace: the old ones go.
        let replaced = try enrolment.enrol(TOTP.random(), disk: disk, tcti: tcti, replace: true)
        #expect(replaced.removed == 4)
        #expect(try TOTPEnrolment.tokenIDs(in: disk).count == 1)
        // The passphrase's key slot is untouched.
        #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: Data("owner passphrase".utf8)).succeeded)
    }

    @Test func aTOTPTokenOfAnotherPinOrTypeShowsNoCode() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let obTOTP = try Self.build(dir, "ob-totp")
        func b64(_ text: String) -> String { Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_") }
        let tang = b64("{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"clevis\":{\"pin\":\"tang\",\"tang\":{\"url\":\"http://10.0.2.100\"}}}")
        let jwe = "{\"ciphertext\":\"AAAA\",\"encrypted_key\":\"\",\"iv\":\"AAAAAAAAAAAAAAAA\",\"protected\":\"\(tang)\",\"tag\":\"AAAAAAAAAAAAAAAAAAAAAA\"}"
        // A tang-pinned secret says nothing about the firmware: refused before any network.
        #expect(try ProcessRunner().run(obTOTP.path, ["-t", "1"], stdin: Data("{\"type\":\"ownerboot-totp\",\"keyslots\":[],\"jwe\":\(jwe)}".utf8)).status == 2)
        #expect(try ProcessRunner().run(obTOTP.path, ["-t", "1"], stdin: Data("{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":\(jwe)}".utf8)).status == 2)
        #expect(try ProcessRunner().run(obTOTP.path, ["-t", "1"], stdin: Data("{\"type\":\"ownerboot-totp\",\"keyslots\":[]}".utf8)).status == 2)
        #expect(try ProcessRunner().run(obTOTP.path, ["-t", "1"], stdin: Data("{\"type\":\"ownerboot-totp\",\"jwe\":{\"iv\":\"AA\"}}".utf8)).status == 1)
    }

    /// show_totp (init/totp.sh) under busybox sh, with cryptsetup and ob-totp stubbed: the
    /// first token that unseals gives the code; all refused gives the warning and no code;
    /// another failure a warning that says so; no token or nothing left to unlock, nothing.
    @Test func showTOTPSaysTheCodeTheWarningOrNothing() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        // luksDump lists $TOKENS ("0: ownerboot-totp" lines); export prints the id; ob-totp
        // answers per id from $ANSWERS ("id:status:code ...").
        let stubs = [
            "cryptsetup": """
                #!/bin/sh
                case "$1" in
                luksDump) echo "Tokens:"; for t in $TOKENS; do echo "  $t" | sed 's/=/: /'; done; echo "Digests:";;
                token) echo "$4";;
                esac
                """,
            "ob-totp": """
                #!/bin/sh
                read -r id
                for a in $ANSWERS; do
                    [ "${a%%:*}" = "$id" ] || continue
                    rest=${a#*:}; code=${rest#*:}; [ -n "$code" ] && echo "$code"; exit "${rest%%:*}"
                done
                exit 1
                """,
        ]
        for (name, text) in stubs {
            let url = bin.appendingPathComponent(name)
            try Data((text + "\n").utf8).write(to: url)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        }
        let stage = RepositoryPaths.root.appendingPathComponent("recipes/unlocker/init/totp.sh").path
        func show(tokens: String, answers: String, closed: String = "/dev/vda1:root") throws -> String {
            var env = ProcessInfo.processInfo.environment
            env["PATH"] = bin.path + ":" + (env["PATH"] ?? "/usr/bin:/bin")
            env["TOKENS"] = tokens
            env["ANSWERS"] = answers
            return try ProcessRunner(environment: env).checked("busybox", ["sh", "-c", ". \(stage); closed='\(closed)'; show_totp /dev/vda1"]).stdoutText
        }
        let code = try show(tokens: "0=clevis 1=ownerboot-totp 2=ownerboot-totp", answers: "1:3: 2:0:012345")
        #expect(code == "ownerboot: TOTP code 012345 (compare it with your authenticator before typing)\n")
        let warning = try show(tokens: "1=ownerboot-totp 2=ownerboot-totp", answers: "1:3: 2:3:")
        #expect(warning.hasPrefix("ownerboot: WARNING: this firmware is not the one your TOTP secret was sealed to: do not type your passphrase"))
        #expect(!warning.contains("TOTP code"))
        let broken = try show(tokens: "1=ownerboot-totp", answers: "1:1:")
        #expect(broken.hasPrefix("ownerboot: WARNING: no TOTP code: the TPM did not unseal your TOTP secret (ob-totp status 1)"))
        // A code that is not six digits is not shown.
        #expect(try show(tokens: "1=ownerboot-totp", answers: "1:0:12ab56").hasPrefix("ownerboot: WARNING: no TOTP code"))
        #expect(try show(tokens: "0=clevis", answers: "") == "")
        #expect(try show(tokens: "1=ownerboot-totp", answers: "1:0:012345", closed: "") == "")
    }
}
