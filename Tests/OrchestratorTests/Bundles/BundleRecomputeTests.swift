import Foundation
import Support
import Testing
@testable import Orchestrator

/// The bundle author's position (DESIGN's attacker table): a bundle whose files were altered
/// after signing and whose manifest was rewritten to match, re-signed by the attacker's key
/// (refused by the trust check) or accepted unsigned (refused by what import recomputes); a
/// manifest that points the generation at other derivations; modes. Each beside the success.
@Suite(.serialized) struct BundleRecomputeTests {
    let base = BundleTests()

    /// Every member's body, by path.
    func bodies(_ bytes: [UInt8]) throws -> [String: [UInt8]] {
        var result: [String: [UInt8]] = [:]
        var offset = 0
        while offset + 512 <= bytes.count, let header = try TarHeader.decode(Array(bytes[offset..<offset + 512]), offset: Int64(offset)) {
            let size = Int(header.size)
            result[header.path] = Array(bytes[offset + 512..<offset + 512 + size])
            offset += 512 + (size + 511) / 512 * 512
        }
        return result
    }

    /// A bundle written again from `manifest` (its records' modes in the headers) and `bodies`,
    /// signed with `key` when given.
    func archive(_ manifest: BundleManifest, _ bodies: [String: [UInt8]], key: String?) throws -> [UInt8] {
        let data = [UInt8](try manifest.encoded())
        var members: [(TarHeader, [UInt8])] = [(TarHeader(path: "manifest.json", kind: .file, mode: 0o644, size: Int64(data.count)), data)]
        if let key { let signature = [UInt8](try BundleTests.sign(key)(Data(data))); members.append((TarHeader(path: "manifest.json.minisig", kind: .file, mode: 0o644, size: Int64(signature.count)), signature)) }
        for file in manifest.files {
            let body = file.kind == .file ? bodies[file.path]! : []
            members.append((TarHeader(path: file.path, kind: file.kind == .file ? .file : .directory, mode: file.mode, size: Int64(body.count)), body))
        }
        var out: [UInt8] = []
        for (header, body) in members { out += try header.encoded() + body + [UInt8](repeating: 0, count: (512 - body.count % 512) % 512) }
        return out + [UInt8](repeating: 0, count: 1024)
    }

    /// The manifest's records made true again for `bodies`: each file's size and SHA-256 and
    /// each entry's tree hash (what an attacker who rewrites the manifest does).
    func consistent(_ manifest: BundleManifest, _ bodies: [String: [UInt8]]) -> BundleManifest {
        var manifest = manifest
        for index in manifest.files.indices where manifest.files[index].kind == .file {
            let body = bodies[manifest.files[index].path]!
            manifest.files[index].size = Int64(body.count)
            manifest.files[index].sha256 = SHA256Digest.hex(body)
        }
        for index in manifest.entries.indices {
            let prefix = "store/\(manifest.entries[index].storeName)/"
            let listed = manifest.files.filter { $0.path.hasPrefix(prefix) }.map { file in
                TreeHash.Entry(path: String(file.path.dropFirst(prefix.count)),
                               summary: file.kind == .file ? "f \(String(file.mode, radix: 8)) \(file.sha256!)" : "d \(String(file.mode, radix: 8))")
            }.sorted { $0.path < $1.path }
            manifest.entries[index].contentHash = TreeHash.hash(entries: listed)
        }
        return manifest
    }

    func parts(_ exported: BundleTests.Exported) throws -> (BundleManifest, [String: [UInt8]]) {
        let bodies = try bodies([UInt8](try Data(contentsOf: exported.bundle)))
        return (try BundleManifest.decode(Data(bodies["manifest.json"]!)), bodies)
    }

    @Test func anInputAlteredAfterSigningIsRefusedEvenWithAManifestRewrittenToMatch() throws {
        let exported = try base.exported()
        defer { exported.board.remove() }
        let (manifest, original) = try parts(exported)
        // The control: the bundle written again unaltered, signed by the owner's key, imports.
        let honest = try archive(manifest, original, key: BundleTests.key)
        let store = try base.emptyHome(exported)
        let file = exported.bundle.deletingLastPathComponent().appendingPathComponent("honest.bundle")
        try Data(honest).write(to: file)
        #expect(try BundleImporter(store: store, verifier: BundleTests.verify(BundleTests.key), keyring: exported.board.archive.keyring).importBundle(at: file).installed.count == manifest.entries.count)

        // The source the uses-notes component copies, altered; the manifest rewritten to match.
        let source = try exported.board.lock.sourceDerivation("notes")!
        let path = "store/\(source.storeName)/\(exported.board.sourceFile.name)"
        var bodies = original
        bodies[path]![bodies[path]!.count / 2] ^= 0x01
        let rewritten = consistent(manifest, bodies)
        // Re-signed by the attacker: the trust check refuses it before anything is read.
        try base.refuses(try archive(rewritten, bodies, key: "attacker-key"), exported) { error in error as? BundleError == .signatureRefused(reason: "wrong key") }
        // Accepted unsigned (--allow-unsigned): every file and entry hash agrees with the
        // manifest, but the file is re-hashed against the bundle's own lock.
        let accept: BundleImporter.Verifier = { _, _ in }
        try base.refuses(try archive(rewritten, bodies, key: nil), exported, verifier: accept) { error in
            if case LockError.sourceMismatch(let name, let file, let expected, _) = error {
                return name == "notes" && file == exported.board.sourceFile.name && expected == exported.board.sourceFile.sha256
            }
            return false
        }
    }

    @Test func theGenerationsComponentsAndLiveDerivationsAreRecomputed() throws {
        let exported = try base.exported()
        defer { exported.board.remove() }
        let (manifest, bodies) = try parts(exported)
        let accept: BundleImporter.Verifier = { _, _ in }
        // A component pointed at another derivation (say another generation's output).
        var pointed = manifest
        pointed.generation.components["hello"] = String(repeating: "e", count: 64)
        try base.refuses(try archive(pointed, bodies, key: nil), exported, verifier: accept) { error in
            if case BundleError.inconsistent(let entry, let reason) = error { return entry == "generation 2 component hello" && reason.contains("eeee") }
            return false
        }
        // A live list keeping something else alive: imported, but the list recorded is the plan's.
        var padded = manifest
        padded.generation.derivations.append(String(repeating: "d", count: 64))
        let store = try base.emptyHome(exported)
        let file = exported.bundle.deletingLastPathComponent().appendingPathComponent("padded.bundle")
        try Data(try archive(padded, bodies, key: nil)).write(to: file)
        _ = try BundleImporter(store: store, verifier: accept, keyring: exported.board.archive.keyring).importBundle(at: file)
        let recorded = try store.generations(board: "fixture").first { $0.number == 2 }!
        #expect(!recorded.derivations.contains(String(repeating: "d", count: 64)))
        #expect(recorded.components == exported.built.outputs.mapValues { String(URL(fileURLWithPath: $0).lastPathComponent.prefix(64)) })
    }

    @Test func setuidModesAreRefusedAndWritableOnesClamped() throws {
        let exported = try base.exported()
        defer { exported.board.remove() }
        let (manifest, bodies) = try parts(exported)
        let accept: BundleImporter.Verifier = { _, _ in }
        let source = try exported.board.lock.sourceDerivation("notes")!
        let path = "store/\(source.storeName)/\(exported.board.sourceFile.name)"
        let index = manifest.files.firstIndex { $0.path == path }!
        var setuid = manifest
        setuid.files[index].mode = 0o4777
        try base.refuses(try archive(consistent(setuid, bodies), bodies, key: nil), exported, verifier: accept) { error in
            error as? BundleError == .unsupportedMember(path: path, type: "mode 4777")
        }
        // World-writable (0777, and a folder 0777): imported as 0755.
        var writable = manifest
        writable.files[index].mode = 0o777
        let folderIndex = manifest.files.firstIndex { $0.path == "store/\(source.storeName)" || ($0.kind == .directory && $0.path.hasPrefix("store/\(source.storeName)/")) }
        if let folderIndex { writable.files[folderIndex].mode = 0o777 }
        let store = try base.emptyHome(exported)
        let file = exported.bundle.deletingLastPathComponent().appendingPathComponent("writable.bundle")
        try Data(try archive(consistent(writable, bodies), bodies, key: nil)).write(to: file)
        _ = try BundleImporter(store: store, verifier: accept, keyring: exported.board.archive.keyring).importBundle(at: file)
        var info = stat()
        #expect(lstat(store.path(of: source).appendingPathComponent(exported.board.sourceFile.name).path, &info) == 0 && info.st_mode & 0o7777 == 0o755)
        #expect(try store.verify().isEmpty)
    }
}
