import Foundation
import Support
import Testing
@testable import Orchestrator

/// export → import into an empty home → rebuild gives the same set and the same outputs;
/// a tampered, missing or badly signed bundle is refused with the store unchanged.
@Suite(.serialized) struct BundleTests {
    static let key = "test-owner-key"

    /// A stand-in for the owner's signature: a keyed SHA-256 over the manifest.
    static func sign(_ key: String) -> BundleExporter.Signer {
        { manifest in Data(SHA256Digest.hex(Data(key.utf8) + manifest).utf8) }
    }

    static func verify(_ key: String) -> BundleImporter.Verifier {
        { manifest, signature in
            guard let signature else { throw BundleError.signatureRefused(reason: "unsigned") }
            guard signature == Data(SHA256Digest.hex(Data(key.utf8) + manifest).utf8) else { throw BundleError.signatureRefused(reason: "wrong key") }
        }
    }

    /// A board built as generation 2 in its home and exported, signed, with one extra file.
    struct Exported {
        let board: OfflineBoard
        let built: Builder.Summary
        let bundle: URL
        let summary: BundleExporter.Summary
    }

    func exported(signed: Bool = true) throws -> Exported {
        let board = try OfflineBoard()
        let store = board.fixture.store
        let lock = try board.lock
        try board.fetcher(store).fetch(lock)
        // Generation 1 is something else, so the exported generation's number (2) must travel.
        try store.recordGeneration(board: "fixture", setHash: String(repeating: "0", count: 64), components: [:], derivations: [])
        let built = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store))
        #expect(built.generation == 2)
        let bundle = board.fixture.home.deletingLastPathComponent().appendingPathComponent("fixture.bundle")
        let exporter = BundleExporter(store: store, signer: signed ? Self.sign(Self.key) : nil, extraFiles: ["sbom.spdx.json": Data("{\"sbom\":1}\n".utf8)])
        let summary = try exporter.export(board: "fixture", to: bundle)
        return Exported(board: board, built: built, bundle: bundle, summary: summary)
    }

    func emptyHome(_ exported: Exported) throws -> Store {
        try Store(home: exported.board.fixture.home.deletingLastPathComponent().appendingPathComponent("home-\(UUID().uuidString)"))
    }

    @Test func anImportedGenerationRebuildsIdenticallyInAnEmptyHome() throws {
        let exported = try exported()
        defer { exported.board.remove() }
        #expect(exported.summary.generation == 2 && exported.summary.signed)
        #expect(exported.summary.entries == 5)  // snapshot, archive metadata, two .debs, one source

        let store = try emptyHome(exported)
        let imported = try BundleImporter(store: store, verifier: Self.verify(Self.key), keyring: exported.board.archive.keyring).importBundle(at: exported.bundle)
        #expect(imported.generation == 2 && imported.setHash == exported.built.setHash)
        #expect(imported.installed.count == 5 && imported.alreadyPresent.isEmpty && imported.extras == ["sbom.spdx.json"])
        #expect(try store.verify().isEmpty)
        let sbom = try store.outputs().first { $0.kind == "attestation" }
        #expect(sbom != nil)

        // The evaluator's rebuild: from the imported snapshot only, never the checkout.
        let (board, record) = try BoardSnapshot.board(generation: 2, of: "fixture", store: store)
        #expect(!board.directory.path.hasPrefix(exported.board.fixture.boards.path))
        let lock = try LockFile.load(for: board)
        try OfflineBoard.installBuildEnvironment(for: lock, board: board, in: store)
        let plan = try BuildPlan.make(board: board, lock: lock, store: store)
        #expect(plan.setHash == record.setHash)
        var builder = Builder(store: store, jobs: 2)
        builder.extraReadOnlyBinds = [("/usr", "/usr")]
        let rebuilt = try builder.build(plan)
        #expect(rebuilt.generation == 2 && rebuilt.setHash == exported.built.setHash)
        #expect(Set(rebuilt.built) == ["hello", "bundle", "independent", "uses-notes"])
        for (component, path) in rebuilt.outputs {
            #expect(try TreeHash.hash(of: URL(fileURLWithPath: path)) == imported.outputs[component], "\(component) differs")
        }
        // Importing again changes nothing and installs nothing.
        let before = try OfflineBoard.state(of: store)
        let again = try BundleImporter(store: store, verifier: Self.verify(Self.key), keyring: exported.board.archive.keyring).importBundle(at: exported.bundle)
        #expect(again.installed.isEmpty && again.alreadyPresent.count == 5)
        #expect(try OfflineBoard.state(of: store) == before)
    }

    /// The bundle's bytes, and where a member's header and data start.
    func member(_ path: String, in bytes: [UInt8]) throws -> (header: Int, data: Int, size: Int) {
        var offset = 0
        while offset + 512 <= bytes.count {
            guard let header = try TarHeader.decode(Array(bytes[offset..<offset + 512]), offset: Int64(offset)) else { break }
            let size = Int(header.size)
            if header.path == path { return (offset, offset + 512, size) }
            offset += 512 + (size + 511) / 512 * 512
        }
        throw BundleError.missingFile(path: path)
    }

    func refuses(_ bytes: [UInt8], _ exported: Exported, verifier: @escaping BundleImporter.Verifier = BundleTests.verify(BundleTests.key),
                 _ check: (Error) -> Bool) throws {
        let store = try emptyHome(exported)
        // A store with content of its own, so "unchanged" is not "still empty".
        try exported.board.packageFetcher(store).fetch(try exported.board.lock.buildenv!)
        let before = try OfflineBoard.state(of: store)
        let file = exported.bundle.deletingLastPathComponent().appendingPathComponent("altered-\(UUID().uuidString).bundle")
        try Data(bytes).write(to: file)
        do {
            _ = try BundleImporter(store: store, verifier: verifier, keyring: exported.board.archive.keyring).importBundle(at: file)
            Issue.record("the altered bundle was imported")
        } catch {
            #expect(check(error), "refused for another reason: \(error)")
        }
        #expect(try OfflineBoard.state(of: store) == before)
        #expect(try store.allGenerations().isEmpty)
    }

    @Test func oneChangedByteIsRefusedNamingTheFileAndNothingIsImported() throws {
        let exported = try exported()
        defer { exported.board.remove() }
        let original = [UInt8](try Data(contentsOf: exported.bundle))
        let deb = exported.board.packages[1]
        let path = "store/\(deb.derivation!.storeName)/\(deb.debFileName)"
        var bytes = original
        bytes[try member(path, in: bytes).data + 10] ^= 0x01
        try refuses(bytes, exported) { error in
            if case BundleError.tamperedFile(let file, let expected, _) = error { return file == path && expected == deb.sha256 }
            return false
        }
        // The last file of the bundle too (nothing is installed before every file is checked).
        let last = try BundleManifest.decode(Data(original[512..<512 + (try member("manifest.json", in: original).size)])).files.last!
        bytes = original
        bytes[try member(last.path, in: bytes).data] ^= 0x01
        try refuses(bytes, exported) { error in
            if case BundleError.tamperedFile(let file, _, _) = error { return file == last.path }
            return false
        }
        // The same bundle unaltered imports (the refusals were about the byte).
        let store = try emptyHome(exported)
        #expect(try BundleImporter(store: store, verifier: Self.verify(Self.key), keyring: exported.board.archive.keyring).importBundle(at: exported.bundle).installed.count == 5)
    }

    @Test func aMissingFileIsRefusedNamingIt() throws {
        let exported = try exported()
        defer { exported.board.remove() }
        let original = [UInt8](try Data(contentsOf: exported.bundle))
        let source = try exported.board.lock.sourceDerivation("notes")!
        let path = "store/\(source.storeName)/\(exported.board.sourceFile.name)"
        let found = try member(path, in: original)
        let bytes = Array(original[..<found.header] + original[(found.data + (found.size + 511) / 512 * 512)...])
        try refuses(bytes, exported) { error in
            if case BundleError.missingFile(let file) = error { return file == path }
            return false
        }
        // Cut off at the end: the last member is missing.
        let manifest = try BundleManifest.decode(Data(original[512..<512 + (try member("manifest.json", in: original).size)]))
        let last = try member(manifest.files.last!.path, in: original)
        try refuses(Array(original[..<last.header]), exported) { error in
            if case BundleError.missingFile(let file) = error { return file == manifest.files.last!.path }
            return false
        }
    }

    @Test func aBadOrAbsentSignatureIsRefusedBeforeAnythingIsRead() throws {
        let exported = try exported()
        defer { exported.board.remove() }
        let bytes = [UInt8](try Data(contentsOf: exported.bundle))
        try refuses(bytes, exported, verifier: Self.verify("another-key")) { error in
            error as? BundleError == .signatureRefused(reason: "wrong key")
        }
        // A signature that does not belong to these manifest bytes: one byte of the manifest
        // changed (the first key's first letter), the signature kept.
        var altered = bytes
        let manifestRange = try member("manifest.json", in: bytes)
        let text = String(decoding: bytes[manifestRange.data..<manifestRange.data + manifestRange.size], as: UTF8.self)
        let at = text.utf8.count - text.drop(while: { $0 != "\"" }).utf8.count + 1
        altered[manifestRange.data + at] ^= 0x20  // the first key's first letter changes case
        try refuses(altered, exported) { error in error as? BundleError == .signatureRefused(reason: "wrong key") }

        let unsigned = try self.exported(signed: false)
        defer { unsigned.board.remove() }
        #expect(!unsigned.summary.signed)
        try refuses([UInt8](try Data(contentsOf: unsigned.bundle)), unsigned) { error in
            error as? BundleError == .signatureRefused(reason: "unsigned")
        }
        // With a verifier that accepts unsigned bundles (what --allow-unsigned chooses), it imports.
        let store = try emptyHome(unsigned)
        let acceptUnsigned: BundleImporter.Verifier = { _, signature in
            if signature != nil { throw BundleError.signatureRefused(reason: "expected an unsigned bundle") }
        }
        #expect(try BundleImporter(store: store, verifier: acceptUnsigned, keyring: unsigned.board.archive.keyring).importBundle(at: unsigned.bundle).generation == 2)
    }

    @Test func hostileArchivesAreRefused() throws {
        let exported = try exported()
        defer { exported.board.remove() }
        let original = [UInt8](try Data(contentsOf: exported.bundle))
        let manifestAt = try member("manifest.json", in: original)
        let manifest = try BundleManifest.decode(Data(original[manifestAt.data..<manifestAt.data + manifestAt.size]))
        let accept: BundleImporter.Verifier = { _, _ in }

        // A manifest that lists a path escaping the store, re-archived so every hash is right.
        func archive(_ manifest: BundleManifest, members: [(TarHeader, [UInt8])]) throws -> [UInt8] {
            var out: [UInt8] = []
            let data = [UInt8](try manifest.encoded())
            for (header, body) in [(TarHeader(path: "manifest.json", kind: .file, mode: 0o644, size: Int64(data.count)), data)] + members {
                out += try header.encoded() + body + [UInt8](repeating: 0, count: (512 - body.count % 512) % 512)
            }
            return out + [UInt8](repeating: 0, count: 1024)
        }
        for evil in ["store/../../etc/passwd", "/etc/passwd", "store/\(manifest.entries[0].storeName)/../x", "store/\(manifest.entries[0].storeName)/a\u{0}b"] {
            var bad = manifest
            bad.files = [.init(path: evil, kind: .file, mode: 0o644, size: 1, sha256: String(repeating: "a", count: 64))]
            try refuses(try archive(bad, members: []), exported, verifier: accept) { error in
                if case BundleError.unsafePath(let path) = error { return path == evil }
                return false
            }
        }
        // A symbolic link member (type 2) where a file is listed.
        let target = manifest.files.first { $0.kind == .file && $0.path.hasPrefix("store/") }!
        var link = try TarHeader(path: target.path, kind: .file, mode: 0o644, size: 0).encoded()
        link[156] = UInt8(ascii: "2")
        for index in 148..<156 { link[index] = 0x20 }
        let sum = link.reduce(0) { $0 + Int($1) }
        let digits = Array(String(sum, radix: 8).utf8)
        link.replaceSubrange(148..<148 + 6, with: [UInt8](repeating: UInt8(ascii: "0"), count: 6 - digits.count) + digits)
        link[154] = 0
        var onlyTarget = manifest
        onlyTarget.files = [target]
        let linked = try archive(onlyTarget, members: []).dropLast(1024) + link + [UInt8](repeating: 0, count: 1024)
        try refuses(Array(linked), exported, verifier: accept) { error in
            if case BundleError.unsupportedMember(let path, let type) = error { return path == target.path && type == "2" }
            return false
        }
        // A member claiming more bytes than the file holds.
        var huge = original
        let first = try member(target.path, in: original)
        var header = try TarHeader.decode(Array(original[first.header..<first.header + 512]), offset: 0)!
        header.size = 1 << 32
        huge.replaceSubrange(first.header..<first.header + 512, with: try header.encoded())
        try refuses(huge, exported, verifier: accept) { error in
            if case BundleError.malformed = error { return true }
            return false
        }
        // Not a bundle at all.
        try refuses(Array("hello, not a tar file".utf8) + [UInt8](repeating: 1, count: 600), exported, verifier: accept) { error in
            if case BundleError.malformed(let offset, _) = error { return offset == 0 }
            return false
        }
    }

    @Test func anIncompleteStoreCannotBeExportedAndSaysWhatToFetch() throws {
        let board = try OfflineBoard()
        defer { board.remove() }
        let store = board.fixture.store
        let lock = try board.lock
        try board.fetcher(store).fetch(lock)
        _ = try board.fixture.builder().build(try BuildPlan.make(board: try board.fixture.board, lock: lock, store: store))
        let gone = board.packages[0].derivation!
        try FileManager.default.removeItem(at: store.path(of: gone))
        let bundle = board.fixture.home.deletingLastPathComponent().appendingPathComponent("incomplete.bundle")
        #expect(throws: BundleError.missingInput(what: "package \(board.packages[0].pin)", entry: gone.storeName)) {
            _ = try BundleExporter(store: store).export(board: "fixture", to: bundle)
        }
        #expect(!FileManager.default.fileExists(atPath: bundle.path))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: bundle.deletingLastPathComponent().path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
        // Fetched again, it exports.
        try board.fetcher(store).fetch(lock)
        #expect(try BundleExporter(store: store).export(board: "fixture", to: bundle).entries == 5)
    }
}
