import Boot
import Foundation
import Support

/// Sealing a TOTP secret where the unlocker reads it before it asks for the passphrase: the
/// answer to a prompt printed by a normal half an attacker replaced. The secret is sealed with
/// Clevis's tpm2 pin (`clevis encrypt tpm2`, the same policy configuration as the disk's TPM2
/// tokens: `ClevisBinder.TPM2Policy`) to the PCR 2 ownerboot predicts for each boot path of
/// each ROM given — one copy per path, as `ClevisEnrolment.tpm2Tokens` seals the disk's tokens,
/// so a new generation is resealed the same way, in advance, with that ROM — and each copy is
/// a LUKS2 token of its own type in every LUKS2 container of the disk:
/// `{"type":"ownerboot-totp","keyslots":[],"jwe":{…},"ownerboot":{"generation":N,"path":"…","srk":"…"}}`
/// (the JWE flattened as Clevis's own tokens hold it; no key slot: it opens nothing).
/// The unlocker (init/totp.sh, ob-totp) has the TPM unseal it and shows the code; a firmware
/// whose PCR 2 differs cannot. The secret reaches clevis on standard input only: it is never
/// on a command line, in a file, a log or the store; the disk holds it sealed.
public struct TOTPEnrolment: Sendable, Equatable {
    /// The LUKS2 token type.
    public static let tokenType = "ownerboot-totp"

    /// One sealed copy: the policy (a boot path's predicted PCR 2), the tag written beside it
    /// (the ROM's generation and the path), and what it is sealed to, said as a line.
    public struct Seal: Sendable, Equatable {
        public var policy: ClevisBinder.TPM2Policy
        public var tag: ClevisTokenTag?
        public var sealedTo: String

        public init(policy: ClevisBinder.TPM2Policy, tag: ClevisTokenTag?, sealedTo: String) {
            self.policy = policy
            self.tag = tag
            self.sealedTo = sealedTo
        }
    }

    /// What an enrolment did.
    public struct Enrolled: Sendable, Equatable, Codable {
        /// The LUKS2 containers that got the tokens (LUKSContainers' names).
        public var containers: [String]
        /// One line per sealed copy: the PCR 2 value, the boot path and the ROM.
        public var sealedTo: [String]
        /// ownerboot-totp tokens removed first (--replace), over all containers.
        public var removed: Int
        /// Seals left out when adding (`add`): every container already had a copy tagged for
        /// that ROM generation and path.
        public var alreadySealed: [String] = []
    }

    public var seals: [Seal]

    public init(seals: [Seal]) { self.seals = seals }

    /// One seal per boot path (nil: every path each ROM has, fallback then normal) of each ROM
    /// (its bytes and the path it was read from), each tagged with that ROM's generation.
    public static func forROMs(_ roms: [(image: [UInt8], path: String)], paths: [PCRPrediction.BootPath]? = nil) throws -> TOTPEnrolment {
        var seals: [Seal] = []
        for rom in roms {
            guard !PCRPrediction.bootPaths(in: rom.image).isEmpty else { throw TOTPError.noBootPath(rom: rom.path) }
            for token in try ClevisEnrolment.tpm2Tokens(image: rom.image, romPath: rom.path, paths: paths) {
                if case .tpm2(let policy, let tag, let sealedTo) = token { seals.append(Seal(policy: policy, tag: tag, sealedTo: sealedTo)) }
            }
        }
        return TOTPEnrolment(seals: seals)
    }

    /// Seals `totp` once per seal with the TPM `tcti` (tpm2-tss syntax) and imports the tokens
    /// into every LUKS2 container of `disk`. A disk that already has ownerboot-totp tokens is
    /// refused unless `replace` (they are removed first: a new secret) or `add` (they stay: the
    /// same secret sealed for another ROM; a container that already has a copy tagged for the
    /// same generation and path does not get a second). Nothing is written when the refusal comes.
    public func enrol(_ totp: TOTP, disk: URL, tcti: String, replace: Bool = false, add: Bool = false, runner: ProcessRunner = ProcessRunner(timeout: 120)) throws -> Enrolled {
        // First a look without changing anything: an existing secret is refused before the TPM
        // seals; when adding, a copy tagged for the same ROM generation and path is not made twice.
        var tagsPerContainer: [[ClevisTokenTag?]] = []
        let names = try LUKSContainers.forEachHeader(of: disk) { header in
            tagsPerContainer.append(try Self.tokenIDs(in: header, runner: runner).map { try Self.tag(ofToken: $0, in: header, runner: runner) })
        }
        let existing = zip(names, tagsPerContainer).filter { !$0.1.isEmpty }.map(\.0)
        if !existing.isEmpty && !replace && !add { throw TOTPError.alreadyEnrolled(disk: disk.path, containers: existing) }
        func present(_ seal: Seal, in container: Int) -> Bool {
            !replace && seal.tag != nil && tagsPerContainer[container].contains(seal.tag)
        }
        let needed = seals.indices.filter { index in tagsPerContainer.indices.contains { !present(seals[index], in: $0) } }
        var sealing = runner
        var environment = ProcessInfo.processInfo.environment
        environment["TPM2TOOLS_TCTI"] = tcti
        sealing.environment = environment
        // The storage key the tpm2 pin seals under, pinned in the token as the Clevis tokens pin
        // it: ob-totp salts its unseal session only to that key (nil: unpinned).
        let srk = needed.isEmpty ? nil : try ClevisBinder(runner: runner).storageKeyName(runner: sealing)
        var tokens: [Int: Data] = [:]
        for index in needed { tokens[index] = try Self.token(jwe: try Self.seal(totp, policy: seals[index].policy, runner: sealing), tag: seals[index].tag, srk: srk) }
        var removed = 0, container = 0
        let containers = try LUKSContainers.forEachHeader(of: disk) { header in
            defer { container += 1 }
            if replace {
                for id in try Self.tokenIDs(in: header, runner: runner) {
                    let result = try runner.run("cryptsetup", ["token", "remove", "--token-id", "\(id)", header.path])
                    guard result.succeeded else { throw TOTPError.tokenFailed(step: "remove ownerboot-totp token \(id) from", disk: disk.path, output: result.stderrText) }
                    removed += 1
                }
            }
            for index in needed where !present(seals[index], in: container) {
                guard let token = tokens[index] else { continue }
                let result = try runner.run("cryptsetup", ["token", "import", "--json-file", "-", header.path], stdin: token)
                guard result.succeeded else { throw TOTPError.tokenFailed(step: "import an ownerboot-totp token into", disk: disk.path, output: result.stderrText) }
            }
        }
        let skipped = seals.indices.filter { !needed.contains($0) }
        return Enrolled(containers: containers, sealedTo: needed.map { seals[$0].sealedTo }, removed: removed, alreadySealed: skipped.map { seals[$0].sealedTo })
    }

    /// The ids of the ownerboot-totp tokens in the LUKS2 file `header` (`cryptsetup luksDump`).
    public static func tokenIDs(in header: URL, runner: ProcessRunner = ProcessRunner(timeout: 60)) throws -> [Int] {
        let dump = try runner.run("cryptsetup", ["luksDump", header.path])
        guard dump.succeeded else { throw TOTPError.tokenFailed(step: "read the header of", disk: header.path, output: dump.stderrText) }
        var ids: [Int] = [], inTokens = false
        for line in dump.stdoutText.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("Tokens:") { inTokens = true; continue }
            if inTokens, let first = line.first, first != " ", first != "\t" { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            if inTokens, parts.count == 2, parts[1].trimmingCharacters(in: .whitespaces) == tokenType, let id = Int(parts[0].trimmingCharacters(in: .whitespaces)) { ids.append(id) }
        }
        return ids
    }

    /// The ROM generation and boot path token `id` of the LUKS2 file `header` is tagged with, or nil.
    static func tag(ofToken id: Int, in header: URL, runner: ProcessRunner) throws -> ClevisTokenTag? {
        let exported = try runner.run("cryptsetup", ["token", "export", "--token-id", "\(id)", header.path])
        guard exported.succeeded else { throw TOTPError.tokenFailed(step: "export token \(id) of", disk: header.path, output: exported.stderrText) }
        guard let token = (try? JSONSerialization.jsonObject(with: exported.stdout)) as? [String: Any],
              let tag = token[ClevisTokenTag.member] as? [String: Any],
              let generation = tag["generation"] as? Int, let path = tag["path"] as? String else { return nil }
        return ClevisTokenTag(generation: generation, path: path)
    }

    /// The compact JWE `clevis encrypt tpm2` makes of the secret (on its standard input) for
    /// `policy`, sealed by the TPM `sealing`'s TPM2TOOLS_TCTI names.
    static func seal(_ totp: TOTP, policy: ClevisBinder.TPM2Policy, runner sealing: ProcessRunner) throws -> String {
        // As ClevisBinder.bindTPM2: a TPM without a resource manager keeps what the last seal
        // left loaded; flush it first (best effort).
        for kind in ["--loaded-session", "--transient-object"] { _ = try? sealing.run("tpm2_flushcontext", [kind]) }
        let result = try sealing.run("clevis", ["encrypt", "tpm2", try policy.clevisConfiguration()], stdin: Data(totp.secret))
        let jwe = result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        guard result.succeeded, jwe.split(separator: ".", omittingEmptySubsequences: false).count == 5 else { throw TOTPError.sealFailed(output: result.stderrText) }
        return jwe
    }

    /// The LUKS2 token for a compact JWE: the JWE flattened (RFC 7516 7.2.2, as `jose jwe fmt`
    /// writes it and Clevis's tokens hold it), the type first.
    static func token(jwe compact: String, tag: ClevisTokenTag?, srk: String? = nil) throws -> Data {
        let parts = compact.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 else { throw TOTPError.sealFailed(output: "clevis did not print a compact JWE") }
        // Every part is base64url and every path a plain name: nothing in them needs escaping.
        let plain = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        guard (parts + [tag?.path ?? "", srk ?? ""]).allSatisfy({ $0.allSatisfy(plain.contains) }) else { throw TOTPError.sealFailed(output: "clevis printed a JWE that is not base64url") }
        func string(_ text: String) -> String { "\"\(text)\"" }
        var members = tag.map { ["\"generation\":\($0.generation)", "\"path\":\(string($0.path))"] } ?? []
        if let srk { members.append("\"srk\":\(string(srk))") }
        let jwe = "{\"ciphertext\":\(string(parts[3])),\"encrypted_key\":\(string(parts[1])),\"iv\":\(string(parts[2])),\"protected\":\(string(parts[0])),\"tag\":\(string(parts[4]))}"
        let tagged = members.isEmpty ? "" : ",\"\(ClevisTokenTag.member)\":{" + members.joined(separator: ",") + "}"
        return Data("{\"type\":\"\(tokenType)\",\"keyslots\":[],\"jwe\":\(jwe)\(tagged)}".utf8)
    }

    /// The QR code of `text` for a terminal (`qrencode -t ANSIUTF8`, the text on its standard
    /// input, so it is on no command line).
    public static func qrCode(_ text: String, runner: ProcessRunner = ProcessRunner(timeout: 30)) throws -> String {
        let result: ProcessRunner.Result
        do { result = try runner.run("qrencode", ["-t", "ANSIUTF8", "-m", "2"], stdin: Data(text.utf8)) } catch {
            throw TOTPError.qrencodeFailed(output: "\(error)")
        }
        guard result.succeeded else { throw TOTPError.qrencodeFailed(output: result.stderrText) }
        return result.stdoutText
    }
}
