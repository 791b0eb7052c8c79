import Foundation
import Support

/// Adds Clevis LUKS2 tokens to a device's disk with the real Clevis tools (`clevis luks bind`,
/// Debian's clevis 19), so what ownerboot enrols is exactly what Clevis and ownerboot's
/// unlocker (`ob-unlock`) read. The TPM2 pin is bound to PCR values given here — the values
/// ownerboot predicts for a ROM before it is flashed — not to whatever the TPM holds now,
/// and always to the SHA-256 bank (Clevis defaults to SHA-1, which coreboot never extends).
/// The existing passphrase authorises the new key slot on standard input; no secret reaches a
/// command line, a log or the store.
public struct ClevisBinder: Sendable {
    /// A TPM2 policy: PCR index → expected value (lowercase hex, SHA-256).
    public struct TPM2Policy: Sendable, Equatable {
        public var pcrs: [Int: String]

        public init(pcrs: [Int: String]) { self.pcrs = pcrs }

        /// Clevis's tpm2 pin configuration: the PCR ids and their values concatenated in
        /// index order (what `tpm2_createpolicy --policy-pcr -f` reads), base64url.
        public func clevisConfiguration() throws -> String {
            let ids = pcrs.keys.sorted()
            var values: [UInt8] = []
            for id in ids {
                guard let bytes = Self.bytes(hex: pcrs[id]!), bytes.count == 32 else { throw DiskError.badPCRValue(index: id, value: pcrs[id]!) }
                values += bytes
            }
            let digest = Data(values).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            let list = ids.map(String.init).joined(separator: ",")
            return "{\"pcr_bank\":\"sha256\",\"pcr_ids\":\"\(list)\",\"pcr_digest\":\"\(digest)\"}"
        }

        static func bytes(hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count % 2 == 0 else { return nil }
            var out: [UInt8] = []
            for i in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[i..<(i + 2)], as: UTF8.self), radix: 16) else { return nil }
                out.append(byte)
            }
            return out
        }
    }

    public var runner: ProcessRunner

    /// The command that enrols `policy` from the running OS of a real device, where the TPM
    /// is: Debian's `clevis luks bind` with the same pin configuration `bindTPM2` uses, so the
    /// token is sealed to the predicted values, not to what the TPM holds now. Clevis asks for
    /// an existing passphrase itself (terminal or standard input); nothing secret is in it.
    public static func bindCommand(device: String, policy: TPM2Policy) throws -> String {
        func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return "clevis luks bind -d \(quoted(device)) tpm2 \(quoted(try policy.clevisConfiguration()))"
    }

    public init(runner: ProcessRunner = ProcessRunner(timeout: 120)) {
        self.runner = runner
    }

    /// Binds a TPM2 token for `policy` to `disk`. `tcti` says which TPM seals it (tpm2-tss
    /// syntax: "device:/dev/tpmrm0" on the device itself, "swtpm:host=127.0.0.1,port=N" for a
    /// device's emulated TPM). With `tag`, the new token records the ROM generation and boot
    /// path it is sealed for (`ClevisTokenTag`), so the unlocker can retire it after an update.
    public func bindTPM2(disk: URL, passphrase: Data, policy: TPM2Policy, tcti: String, tag: ClevisTokenTag? = nil) throws {
        var bound = runner
        var environment = ProcessInfo.processInfo.environment
        environment["TPM2TOOLS_TCTI"] = tcti
        bound.environment = environment
        // Without a resource manager (a device's swtpm on loopback) the sessions and objects a
        // bind leaves loaded stay in the TPM, and the next bind (the GPT disk's next container)
        // fails with "out of memory for session contexts": flush them first (best effort;
        // /dev/tpmrm0 flushes per connection anyway).
        for kind in ["--loaded-session", "--transient-object"] { _ = try? bound.run("tpm2_flushcontext", [kind]) }
        let before = try tokenIDs(disk: disk)
        let result = try bound.run("clevis", ["luks", "bind", "-y", "-k", "-", "-d", disk.path, "tpm2", try policy.clevisConfiguration()], stdin: passphrase)
        guard result.succeeded else { throw DiskError.clevisFailed(step: "bind a TPM2 token to", output: result.stdoutText + result.stderrText) }
        guard var tag else { return }
        guard let id = try tokenIDs(disk: disk).first(where: { !before.contains($0) }) else {
            throw DiskError.cryptsetupFailed(step: "find the token clevis just bound in", output: "no new token")
        }
        tag.srk = try storageKeyName(runner: bound)
        try self.tag(disk: disk, tokenID: id, with: tag, passphrase: passphrase)
    }

    /// The name of the storage key Clevis's tpm2 pin seals under (its ECC primary in the owner
    /// hierarchy, `tpm2_createprimary -C o -g sha256 -G ecc`), on the TPM `runner`'s
    /// TPM2TOOLS_TCTI names: what `ob-unlock -n` prints and checks before it salts the session.
    /// nil when tpm2-tools cannot tell (the token then works unpinned).
    func storageKeyName(runner: ProcessRunner) throws -> String? {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-srk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let context = folder.appendingPathComponent("primary.ctx").path
        guard try runner.run("tpm2_createprimary", ["-C", "o", "-g", "sha256", "-G", "ecc", "-c", context]).succeeded else { return nil }
        defer { _ = try? runner.run("tpm2_flushcontext", ["--transient-object"]) }
        let read = try runner.run("tpm2_readpublic", ["-c", context])
        guard read.succeeded else { return nil }
        for line in read.stdoutText.split(separator: "\n") where line.hasPrefix("name:") {
            let name = line.dropFirst(5).trimmingCharacters(in: .whitespaces).lowercased()
            if name.count == 68, name.hasPrefix("000b"), name.allSatisfy(\.isHexDigit) { return name }
        }
        return nil
    }

    /// Adds `tag` to token `tokenID` of `disk` (exported, the member added, imported in place),
    /// bound to the token's key slot by its MAC (`ClevisTokenTag.authenticated`): `passphrase`
    /// takes the container's volume key out for it, in memory.
    public func tag(disk: URL, tokenID: Int, with tag: ClevisTokenTag, passphrase: Data) throws {
        let exported = try runner.run("cryptsetup", ["token", "export", "--token-id", "\(tokenID)", disk.path])
        guard exported.succeeded, var token = (try? JSONSerialization.jsonObject(with: exported.stdout)) as? [String: Any] else {
            throw DiskError.cryptsetupFailed(step: "export token \(tokenID) of", output: exported.stderrText)
        }
        guard let slots = token["keyslots"] as? [String], slots.count == 1, let slot = Int(slots[0]),
              let salt = try LUKSHeaderDump.read(disk, runner: runner).salts[slot] else {
            throw DiskError.cryptsetupFailed(step: "find the one key slot of token \(tokenID) in", output: "keyslots: \(token["keyslots"] ?? "none")")
        }
        let volumeKey = try LUKSHeaderDump.volumeKey(of: disk, passphrase: passphrase, runner: runner)
        token[ClevisTokenTag.member] = tag.authenticated(slot: slot, salt: salt, volumeKey: volumeKey).json
        let json = try JSONSerialization.data(withJSONObject: token, options: [.sortedKeys, .withoutEscapingSlashes])
        let imported = try runner.run("cryptsetup", ["token", "import", "--token-id", "\(tokenID)", "--token-replace", "--json-file", "-", disk.path], stdin: json)
        guard imported.succeeded else { throw DiskError.cryptsetupFailed(step: "tag token \(tokenID) of", output: imported.stderrText) }
    }

    /// The ids of `disk`'s LUKS2 tokens (`cryptsetup luksDump`).
    public func tokenIDs(disk: URL) throws -> [Int] {
        let dump = try runner.run("cryptsetup", ["luksDump", disk.path])
        guard dump.succeeded else { throw DiskError.cryptsetupFailed(step: "read the header of", output: dump.stderrText) }
        var ids: [Int] = [], inTokens = false
        for line in dump.stdoutText.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Tokens:") { inTokens = true; continue }
            if inTokens, let first = line.first, first != " ", first != "\t" { break }
            if inTokens, line.hasPrefix("  "), let colon = line.firstIndex(of: ":"), let id = Int(line[..<colon].trimmingCharacters(in: .whitespaces)) { ids.append(id) }
        }
        return ids
    }

    /// Binds a tang token to `disk`: `url` is where the device reaches tang at boot,
    /// `advertisement` the server's signed advertisement (a JWS file), so binding needs no
    /// network and trusts exactly the keys the owner fetched; without it clevis fetches the
    /// advertisement from `url` and trusts it (`-y`).
    public func bindTang(disk: URL, passphrase: Data, url: String, advertisement: URL?) throws {
        let configuration = try ClevisPin.tang(url: url, advertisement: advertisement).configuration()
        let result = try runner.run("clevis", ["luks", "bind", "-y", "-k", "-", "-d", disk.path, "tang", configuration], stdin: passphrase)
        guard result.succeeded else { throw DiskError.clevisFailed(step: "bind a tang token to", output: result.stdoutText + result.stderrText) }
    }

    /// Binds one sss token (Shamir's secret sharing, Clevis's threshold pin): any `threshold`
    /// of `pins` recover the key. `tcti` names the TPM that seals the tpm2 pins.
    public func bindSSS(disk: URL, passphrase: Data, threshold: Int, pins: [ClevisPin], tcti: String) throws {
        let configuration = try ClevisPin.sssConfiguration(threshold: threshold, pins: pins)
        var bound = runner
        var environment = ProcessInfo.processInfo.environment
        environment["TPM2TOOLS_TCTI"] = tcti
        bound.environment = environment
        if pins.contains(where: { if case .tpm2 = $0 { return true } else { return false } }) {
            for kind in ["--loaded-session", "--transient-object"] { _ = try? bound.run("tpm2_flushcontext", [kind]) }
        }
        let result = try bound.run("clevis", ["luks", "bind", "-y", "-k", "-", "-d", disk.path, "sss", configuration], stdin: passphrase)
        guard result.succeeded else { throw DiskError.clevisFailed(step: "bind an sss (threshold \(threshold)) token to", output: result.stdoutText + result.stderrText) }
    }

    /// `clevis luks list`: one line per token, "SLOT: PIN 'CONFIG'".
    public func list(disk: URL) throws -> String {
        let result = try runner.run("clevis", ["luks", "list", "-d", disk.path])
        guard result.succeeded else { throw DiskError.clevisFailed(step: "list the tokens of", output: result.stderrText) }
        return result.stdoutText
    }
}
