import Foundation
import Support
import Testing
@testable import Orchestrator

/// Both directions with the real Clevis 19 tools and a real (software) TPM 2.0:
/// ownerboot's enrolment (`ClevisBinder`, over `clevis luks bind`) is read by `clevis luks
/// list`/`clevis luks pass`, and the unlocker's `ob-unlock` (recipes/unlocker/ob-unlock,
/// compiled here with the host's gcc through its Makefile, the recipe's hardening flags and
/// -Werror) recovers the same key from the token — and is refused by the TPM once the PCR it
/// is sealed to changes.
@Suite(.serialized) struct ClevisInteropTests {
    static let source = RepositoryPaths.root.appendingPathComponent("recipes/unlocker/ob-unlock")

    static func luksFile(_ dir: URL, passphrase: String) throws -> URL {
        let disk = dir.appendingPathComponent("disk.img")
        try ProcessRunner().checked("truncate", ["-s", "20M", disk.path])
        try ProcessRunner().checked("cryptsetup", ["luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", disk.path], stdin: Data(passphrase.utf8))
        return disk
    }

    static func obUnlock(_ dir: URL) throws -> URL {
        let binary = dir.appendingPathComponent("ob-unlock")
        // The objects go to dir: the source folder is an input of the unlocker (hashed as a tree).
        try ProcessRunner().checked("make", ["-s", "-C", source.path, "O=\(dir.path)", "ob-unlock"])
        return binary
    }

    @Test func tokensOwnerbootBindsAreClevisTokensAndObUnlockOpensThemUntilThePCRChanges() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try Self.luksFile(dir, passphrase: "owner passphrase")
        let unlock = try Self.obUnlock(dir)
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        defer { tpm.close() }
        let tcti = try #require(tpm.tcti), port = try #require(tpm.port)

        // A fresh TPM's PCR 2 is all zeros: seal to that (a prediction, not a read).
        let policy = ClevisBinder.TPM2Policy(pcrs: [2: String(repeating: "0", count: 64)])
        // Tagged as ownerboot tags its tokens: Clevis must still list and open it.
        try ClevisBinder().bindTPM2(disk: disk, passphrase: Data("owner passphrase".utf8), policy: policy, tcti: tcti, tag: ClevisTokenTag(generation: 7, path: "fallback"))
        let listed = try ClevisBinder().list(disk: disk)
        #expect(listed.contains("tpm2") && listed.contains("\"pcr_bank\":\"sha256\"") && listed.contains("\"pcr_ids\":\"2\""), "\(listed)")

        var env = ProcessInfo.processInfo.environment
        env["TPM2TOOLS_TCTI"] = tcti
        let clevisKey = try ProcessRunner(environment: env).checked("clevis", ["luks", "pass", "-d", disk.path, "-s", "1"]).stdout
        #expect(!clevisKey.isEmpty)
        let token = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "0", disk.path]).stdout
        // The tag: generation, path, the token's key slot with its MAC (RootBoundKeyTests checks
        // it against ob-unlock -R), and the storage key's name, which ob-unlock below requires.
        let member = try #require((try JSONSerialization.jsonObject(with: token) as? [String: Any])?[ClevisTokenTag.member] as? [String: Any])
        #expect(member["generation"] as? Int == 7 && member["path"] as? String == "fallback" && member["slot"] as? Int == 1)
        #expect((member["mac"] as? String)?.count == 64 && (member["srk"] as? String)?.hasPrefix("000b") == true, "\(member)")
        #expect(try ClevisBinder().tokenIDs(disk: disk) == [0])
        let ours = try ProcessRunner().run(unlock.path, ["-t", "\(port)"], stdin: token)
        #expect(ours.status == 0, "\(ours.stderrText)")
        #expect(ours.stdout == clevisKey)
        // The recovered key opens the disk's key slot.
        #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: ours.stdout).succeeded)

        // Another boot path measured something else into PCR 2: the TPM refuses (exit 3).
        try ProcessRunner(environment: env).checked("tpm2_pcrextend", ["2:sha256=" + String(repeating: "ab", count: 32)])
        let refused = try ProcessRunner().run(unlock.path, ["-t", "\(port)"], stdin: token)
        #expect(refused.status == 3, "\(refused.stderrText)")
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderrText.contains("PCRs"))
    }

    /// The command `ownerboot pcrs ROM --clevis DEVICE` prints for a running device, run as
    /// printed (the passphrase on standard input, as clevis reads it when there is no
    /// terminal): the token it makes opens with ob-unlock while the PCR holds the sealed value,
    /// and not after.
    @Test func theBindCommandForARunningDeviceSealsToThePredictedValue() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try Self.luksFile(dir, passphrase: "owner passphrase")
        let unlock = try Self.obUnlock(dir)
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        defer { tpm.close() }
        let tcti = try #require(tpm.tcti), port = try #require(tpm.port)
        var env = ProcessInfo.processInfo.environment
        env["TPM2TOOLS_TCTI"] = tcti
        // The device's PCR 2 after its firmware measured something; the prediction is that value.
        try ProcessRunner(environment: env).checked("tpm2_pcrextend", ["2:sha256=" + String(repeating: "5a", count: 32)])
        // tpm2_pcrread prints "  2 : 0x<64 hex digits>".
        let read = try ProcessRunner(environment: env).checked("tpm2_pcrread", ["sha256:2"]).stdoutText
        let value = read.range(of: "0x").map { String(read[$0.upperBound...].prefix(64)).lowercased() } ?? ""
        #expect(value.count == 64 && value != String(repeating: "0", count: 64))
        let command = try ClevisBinder.bindCommand(device: disk.path, policy: ClevisBinder.TPM2Policy(pcrs: [2: value]))
        #expect(command.hasPrefix("clevis luks bind -d '") && !command.contains("owner passphrase"))
        try ProcessRunner(environment: env).checked("bash", ["-c", command], stdin: Data("owner passphrase\n".utf8))
        let token = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "0", disk.path]).stdout
        let opened = try ProcessRunner().run(unlock.path, ["-t", "\(port)"], stdin: token)
        #expect(opened.status == 0, "\(opened.stderrText)")
        #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: opened.stdout).succeeded)
        try ProcessRunner(environment: env).checked("tpm2_pcrextend", ["2:sha256=" + String(repeating: "ab", count: 32)])
        #expect(try ProcessRunner().run(unlock.path, ["-t", "\(port)"], stdin: token).status == 3)
    }

    @Test func aTokenOfAnotherPinOrGarbageIsNotATPM2Unlock() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let unlock = try Self.obUnlock(dir)
        let notClevis = try ProcessRunner().run(unlock.path, ["-t", "1"], stdin: Data("{\"type\":\"systemd-tpm2\"}".utf8))
        #expect(notClevis.status == 2)
        func token(header: String) -> Data {
            let encoded = Data(header.utf8).base64EncodedString()
                .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            return Data("{\"type\":\"clevis\",\"keyslots\":[\"1\"],\"jwe\":{\"ciphertext\":\"AA\",\"iv\":\"AA\",\"protected\":\"\(encoded)\",\"tag\":\"AA\"}}".utf8)
        }
        // An sss token without its threshold, prime or inner JWEs is refused as damaged.
        let sss = try ProcessRunner().run(unlock.path, ["-t", "1"], stdin: token(header: "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"clevis\":{\"pin\":\"sss\"}}"))
        #expect(sss.status == 1, "\(sss.stderrText)")
        #expect(sss.stdout.isEmpty)
        // A pin this unlocker does not know: exit 2, the passphrase follows.
        let other = try ProcessRunner().run(unlock.path, ["-t", "1"], stdin: token(header: "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"clevis\":{\"pin\":\"yubikey\"}}"))
        #expect(other.status == 2, "\(other.stderrText)")
        // A tang token without its epk, kid or advertisement is refused as damaged.
        let tang = try ProcessRunner().run(unlock.path, ["-t", "1"], stdin: token(header: "{\"alg\":\"ECDH-ES\",\"enc\":\"A256GCM\",\"clevis\":{\"pin\":\"tang\"}}"))
        #expect(tang.status == 1, "\(tang.stderrText)")
        #expect(tang.stdout.isEmpty)
        let garbage = try ProcessRunner().run(unlock.path, ["-t", "1"], stdin: Data("{\"type\":\"clevis\",\"jwe\":{\"protected\":\"!!!\"".utf8))
        #expect(garbage.status == 1)
        #expect(garbage.stdout.isEmpty)
    }

    @Test func aPolicyValueThatIsNotSHA256IsRefused() {
        #expect(throws: DiskError.self) { try ClevisBinder.TPM2Policy(pcrs: [2: "abc"]).clevisConfiguration() }
        #expect((try? ClevisBinder.TPM2Policy(pcrs: [2: String(repeating: "0", count: 64)]).clevisConfiguration())?.contains("\"pcr_bank\":\"sha256\"") == true)
    }

    @Test func anSSSConfigurationGroupsPinsByNameAndRefusesAThresholdNoPinsCanMeet() throws {
        let zero = ClevisBinder.TPM2Policy(pcrs: [2: String(repeating: "0", count: 64)])
        let config = try ClevisPin.sssConfiguration(threshold: 2, pins: [.tang(url: "http://t", advertisement: nil), .tpm2(zero), .tpm2(zero)])
        #expect(config.hasPrefix("{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"http://t\"}],\"tpm2\":[{"), "\(config)")
        #expect(try JSONSerialization.jsonObject(with: Data(config.utf8)) is [String: Any])
        #expect(throws: DiskError.badThreshold(threshold: 3, pins: 2)) { try ClevisPin.sssConfiguration(threshold: 3, pins: [.tpm2(zero), .tpm2(zero)]) }
        #expect(throws: DiskError.badThreshold(threshold: 0, pins: 1)) { try ClevisPin.sssConfiguration(threshold: 0, pins: [.tpm2(zero)]) }
    }

    /// A tang database and its advertisement (as tangd serves GET /adv).
    static func tangKeys(_ dir: URL) throws -> (db: URL, adv: URL) {
        let db = dir.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: db, withIntermediateDirectories: true)
        try ProcessRunner().checked("/usr/libexec/tangd-keygen", [db.path])
        let reply = try ProcessRunner().checked("/usr/libexec/tangd", [db.path], stdin: Data("GET /adv HTTP/1.0\r\n\r\n".utf8)).stdoutText
        let adv = dir.appendingPathComponent("adv.jws")
        try Data(String(reply[try #require(reply.range(of: "\r\n\r\n")).upperBound...]).utf8).write(to: adv)
        return (db, adv)
    }

    @Test func sssTokensOfTangAndTPM2OpenInBothDirectionsAndTheThresholdHolds() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let passphrase = Data("owner passphrase".utf8)
        let disk = try Self.luksFile(dir, passphrase: "owner passphrase")
        let unlock = try Self.obUnlock(dir)
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        defer { tpm.close() }
        let tcti = try #require(tpm.tcti), port = try #require(tpm.port)
        let keys = try Self.tangKeys(dir)
        let tang = try LoopbackTang(database: keys.db.path)
        var env = ProcessInfo.processInfo.environment
        env["TPM2TOOLS_TCTI"] = tcti
        let zero = ClevisBinder.TPM2Policy(pcrs: [2: String(repeating: "0", count: 64)])
        let pins: [ClevisPin] = [.tang(url: "http://127.0.0.1:\(tang.port)", advertisement: keys.adv), .tpm2(zero)]

        // Token 0 (key slot 1): ownerboot's enrolment, 2 of tang + tpm2.
        try ClevisBinder().bindSSS(disk: disk, passphrase: passphrase, threshold: 2, pins: pins, tcti: tcti)
        // Token 1 (key slot 2): bound by Clevis's own command line, 1 of tang + tpm2.
        try ProcessRunner(environment: env, timeout: 120).checked("clevis", ["luks", "bind", "-y", "-k", "-", "-d", disk.path, "sss", try ClevisPin.sssConfiguration(threshold: 1, pins: pins)], stdin: passphrase)
        let listed = try ClevisBinder().list(disk: disk)
        #expect(listed.contains("1: sss '{\"t\":2,\"pins\":{\"tang\":[{\"url\":\"http://127.0.0.1:\(tang.port)\"}],\"tpm2\":[{"), "\(listed)")
        #expect(listed.contains("2: sss '{\"t\":1,"), "\(listed)")
        #expect(listed.contains("\"pcr_bank\":\"sha256\""), "\(listed)")

        var tokens: [Data] = []
        for (slot, token) in [("1", "0"), ("2", "1")] {
            let clevisKey = try ProcessRunner(environment: env, timeout: 60).checked("clevis", ["luks", "pass", "-d", disk.path, "-s", slot]).stdout
            let exported = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", token, disk.path]).stdout
            tokens.append(exported)
            let ours = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "\(port)"], stdin: exported)
            #expect(ours.status == 0, "token \(token): \(ours.stderrText)")
            #expect(!clevisKey.isEmpty && ours.stdout == clevisKey, "token \(token)")
            #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: ours.stdout).succeeded)
        }

        // Tang down: 2 of 2 cannot be met (exit 4, tang), 1 of 2 still opens through the TPM,
        // without waiting for tang's three seconds.
        tang.stop()
        let two = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "\(port)"], stdin: tokens[0])
        #expect(two.status == 4, "\(two.stderrText)")
        #expect(two.stdout.isEmpty)
        #expect(two.stderrText.contains("1 of 2 pins answered, 2 needed"), "\(two.stderrText)")
        let one = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "\(port)"], stdin: tokens[1])
        #expect(one.status == 0, "\(one.stderrText)")
        #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: one.stdout).succeeded)

        // And the PCR changed too: no pin answers; the TPM's refusal is what the console says.
        try ProcessRunner(environment: env).checked("tpm2_pcrextend", ["2:sha256=" + String(repeating: "ab", count: 32)])
        let none = try ProcessRunner(timeout: 60).run(unlock.path, ["-t", "\(port)"], stdin: tokens[1])
        #expect(none.status == 3, "\(none.stderrText)")
        #expect(none.stdout.isEmpty)
    }

    /// tangd behind a loopback port, one tangd per connection (as inetd or QEMU's guestfwd).
    final class LoopbackTang: @unchecked Sendable {
        let fd: Int32
        let port: Int
        init(database: String) throws {
            let socket = try LoopbackListener(backlog: 4)
            fd = socket.fd
            port = socket.port
            let listener = socket.fd
            Thread.detachNewThread {
                while true {
                    let connection = accept(listener, nil, nil)
                    if connection < 0 { return }
                    let tangd = Process()
                    tangd.executableURL = URL(fileURLWithPath: "/usr/libexec/tangd")
                    tangd.arguments = [database]
                    tangd.standardInput = FileHandle(fileDescriptor: connection, closeOnDealloc: false)
                    tangd.standardOutput = FileHandle(fileDescriptor: connection, closeOnDealloc: false)
                    tangd.standardError = FileHandle.nullDevice
                    try? tangd.run()
                    tangd.waitUntilExit()
                    Foundation.close(connection)
                }
            }
        }
        func stop() { shutdown(fd, Int32(SHUT_RDWR)); Foundation.close(fd) }
    }

    @Test func tangTokensOwnerbootBindsAreReadByClevisAndObUnlockAndTangDownIsQuick() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try Self.luksFile(dir, passphrase: "owner passphrase")
        let unlock = try Self.obUnlock(dir)
        let db = dir.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: db, withIntermediateDirectories: true)
        try ProcessRunner().checked("/usr/libexec/tangd-keygen", [db.path])
        let reply = try ProcessRunner().checked("/usr/libexec/tangd", [db.path], stdin: Data("GET /adv HTTP/1.0\r\n\r\n".utf8)).stdoutText
        let adv = dir.appendingPathComponent("adv.jws")
        try Data(String(reply[try #require(reply.range(of: "\r\n\r\n")).upperBound...]).utf8).write(to: adv)
        let tang = try LoopbackTang(database: db.path)

        try ClevisBinder().bindTang(disk: disk, passphrase: Data("owner passphrase".utf8), url: "http://127.0.0.1:\(tang.port)", advertisement: adv)
        #expect(try ClevisBinder().list(disk: disk).contains("tang"))
        let clevisKey = try ProcessRunner(timeout: 60).checked("clevis", ["luks", "pass", "-d", disk.path, "-s", "1"]).stdout
        let token = try ProcessRunner().checked("cryptsetup", ["token", "export", "--token-id", "0", disk.path]).stdout
        let ours = try ProcessRunner(timeout: 60).run(unlock.path, [], stdin: token)
        #expect(ours.status == 0, "\(ours.stderrText)")
        #expect(!clevisKey.isEmpty && ours.stdout == clevisKey)

        tang.stop()
        let down = try ProcessRunner(timeout: 60).run(unlock.path, [], stdin: token)
        #expect(down.status == 4, "\(down.stderrText)")
        #expect(down.seconds < 5)
        #expect(down.stdout.isEmpty)
    }
}
