import Foundation
import Support

/// `ownerboot import`: takes a bundle written by `BundleExporter` into the store, checking
/// everything before anything enters it. In order: the manifest (the first member) and its
/// signature go to the verifier; the manifest is validated (bounded, safe paths); every member
/// is streamed into a staging folder inside the store while it is hashed, and must be the next
/// file the manifest lists with its size and SHA-256; then each entry must hash to what it
/// claims and to what the bundle's own lock pins, every .deb must be one Debian's archive
/// signed (the bundle's InRelease verified with the host's archive keyring, its Packages
/// index by InRelease, each .deb's size and SHA-256 by the index), and the board snapshot
/// must plan to the generation's set hash. Only then are the entries installed (modes clamped
/// to 0755/0644) and the generation recorded under its own number (so a rebuild embeds the
/// same number in the ROM), with the component and live derivation hashes this store planned,
/// not the manifest's (`ImportedGeneration.swift` says what is recomputed and what cannot be). Any refusal leaves
/// the store exactly as it was.
public struct BundleImporter: Sendable {
    /// Gets the manifest's bytes and the signature file's bytes (nil when the bundle has none)
    /// before anything is read further; throws to refuse the bundle.
    public typealias Verifier = @Sendable (_ manifest: Data, _ signature: Data?) throws -> Void

    public var store: Store
    public var verifier: Verifier
    /// The keyring Debian's InRelease in the bundle must be signed with.
    public var keyring: URL

    public init(store: Store, verifier: @escaping Verifier, keyring: URL = ArchiveIndex.debianKeyring) {
        self.store = store
        self.verifier = verifier
        self.keyring = keyring
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var board: String
        public var generation: Int
        public var setHash: String
        public var installed: [String]
        public var alreadyPresent: [String]
        public var extras: [String]
        public var bytes: Int64
        public var signed: Bool
        public var seconds: Double
        /// Component → content hash the exporting store had: what a rebuild must reproduce.
        public var outputs: [String: String]
    }

    public func importBundle(at url: URL, progress: ProgressSink = { _ in }) throws -> Summary {
        let started = Date()
        let reader = try TarReader(url: url)
        guard let first = try reader.next(), first.path == BundleManifest.fileName, first.kind == .file else {
            throw BundleError.malformed(offset: 0, reason: "the first member is not \(BundleManifest.fileName)")
        }
        let manifestData = try reader.readAll(first, limit: BundleManifest.maximumManifestBytes)
        var signature: Data?
        if let next = try reader.peek(), next.path == BundleManifest.signatureName {
            _ = try reader.next()
            signature = try reader.readAll(next, limit: BundleManifest.maximumSignatureBytes)
        }
        do { try verifier(manifestData, signature) } catch let error as BundleError { throw error } catch {
            throw BundleError.signatureRefused(reason: (error as? UserFacingError)?.message ?? "\(error)")
        }
        let manifest = try BundleManifest.decode(manifestData)
        try manifest.validate()
        let task = "import \(manifest.board)"
        let total = manifest.totalBytes
        if let free = (try? FileManager.default.attributesOfFileSystem(forPath: store.root.path)[.systemFreeSize] as? NSNumber)?.int64Value, free < total {
            throw BundleError.tooLarge(what: "the bundle (\(total) bytes)", limit: free)
        }
        progress(ProgressEvent(task: task, phase: .started, done: 0, total: total, unit: "bytes", detail: "checking \(manifest.files.count) files"))

        let staging = store.root.appendingPathComponent(".tmp/import-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: staging) }
        try stage(manifest, from: reader, into: staging, progress: progress, task: task, started: started)

        let (derivations, plan) = try check(manifest, staged: staging)
        var generation = try Self.recomputed(manifest.generation, plan: plan, snapshot: manifest.generation.boardSnapshot!)
        if let conflict = try store.importConflict(generation) { throw conflict }

        // Every check passed: install. Each install is a rename of a checked folder.
        var installed: [String] = [], present: [String] = []
        for entry in manifest.entries {
            let derivation = derivations[entry.hash]!
            if store.contains(derivation) { present.append(entry.storeName); continue }
            try store.withLock(derivation) {
                if store.contains(derivation) { present.append(entry.storeName); return }
                try Self.clampModes(in: staging.appendingPathComponent("store").appendingPathComponent(entry.storeName))
                try store.install(staging.appendingPathComponent("store").appendingPathComponent(entry.storeName), as: derivation, seconds: 0, log: nil)
                installed.append(entry.storeName)
            }
        }
        if !manifest.extras.isEmpty {
            let folder = staging.appendingPathComponent("extras")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for name in manifest.extras { try FileManager.default.moveItem(at: staging.appendingPathComponent(name), to: folder.appendingPathComponent(name)) }
            let derivation = Derivation(name: "attestation-\(manifest.board)-\(generation.number)", kind: .attestation, fixedOutput: try TreeHash.hash(of: folder))
            if !store.contains(derivation) { try store.install(folder, as: derivation, seconds: 0, log: nil) }
            if !generation.derivations.contains(derivation.hash) { generation.derivations.append(derivation.hash) }
        }
        try store.recordImportedGeneration(generation)
        let seconds = Date().timeIntervalSince(started)
        progress(ProgressEvent(task: task, phase: .finished, done: total, total: total, unit: "bytes",
                               detail: "\(installed.count) entries installed, \(present.count) already present", elapsed: seconds))
        return Summary(board: manifest.board, generation: generation.number, setHash: generation.setHash, installed: installed, alreadyPresent: present,
                       extras: manifest.extras, bytes: total, signed: signature != nil, seconds: seconds, outputs: manifest.outputs)
    }

    /// Streams every member into `staging`, each the next file the manifest lists, hashed as
    /// it is written.
    func stage(_ manifest: BundleManifest, from reader: TarReader, into staging: URL, progress: ProgressSink, task: String, started: Date) throws {
        let fm = FileManager.default
        var done: Int64 = 0
        var lastReport = Date()
        let listed = Set(manifest.files.map(\.path))
        for file in manifest.files {
            guard let header = try reader.next() else { throw BundleError.missingFile(path: file.path) }
            guard header.path == file.path else {
                // A member the manifest lists later means this one is missing; anything else
                // is not in the manifest at all.
                if listed.contains(header.path) { throw BundleError.missingFile(path: file.path) }
                throw BundleError.unexpectedFile(path: header.path)
            }
            guard header.kind == (file.kind == .file ? .file : .directory), header.mode == file.mode else {
                throw BundleError.inconsistent(entry: file.path, reason: "its archive header says \(header.kind) mode \(String(header.mode, radix: 8)), the manifest \(file.kind.rawValue) mode \(String(file.mode, radix: 8))")
            }
            let target = staging.appendingPathComponent(file.path)
            // Parents are created here or were members before (sorted order); never followed
            // through a link, since staging holds nothing but what this loop made.
            try fm.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            if file.kind == .directory {
                if !fm.fileExists(atPath: target.path) { try fm.createDirectory(at: target, withIntermediateDirectories: false) }
                try fm.setAttributes([.posixPermissions: file.mode], ofItemAtPath: target.path)
                try reader.stream(header) { _ in }
                continue
            }
            guard header.size == file.size else { throw BundleError.sizeMismatch(path: file.path, expected: file.size, actual: header.size) }
            guard !fm.fileExists(atPath: target.path), fm.createFile(atPath: target.path, contents: nil) else {
                throw BundleError.unexpectedFile(path: file.path)
            }
            let out = try FileHandle(forWritingTo: target)
            var hasher = SHA256Hasher()
            do {
                try reader.stream(header) { chunk in
                    hasher.update(chunk)
                    try out.write(contentsOf: chunk)
                }
                try out.close()
            } catch {
                try? out.close()
                throw error
            }
            let actual = hasher.hex()
            guard actual == file.sha256 else { throw BundleError.tamperedFile(path: file.path, expected: file.sha256 ?? "-", actual: actual) }
            try fm.setAttributes([.posixPermissions: file.mode], ofItemAtPath: target.path)
            done += file.size
            if Date().timeIntervalSince(lastReport) > 0.5 {
                lastReport = Date()
                progress(ProgressEvent(task: task, phase: .progress, done: done, total: manifest.totalBytes, unit: "bytes", detail: file.path,
                                       elapsed: Date().timeIntervalSince(started)))
            }
        }
        if let extra = try reader.next() { throw BundleError.unexpectedFile(path: extra.path) }
    }

    /// Checks each staged entry against its content hash and the bundle's lock, and the
    /// generation against its snapshot; returns derivation hash → derivation to install.
    func check(_ manifest: BundleManifest, staged staging: URL) throws -> (derivations: [String: Derivation], plan: BuildPlan) {
        func folder(_ entry: BundleManifest.Entry) -> URL { staging.appendingPathComponent("store").appendingPathComponent(entry.storeName) }
        for entry in manifest.entries {
            let actual = try TreeHash.hash(of: folder(entry))
            guard actual == entry.contentHash else {
                throw BundleError.inconsistent(entry: entry.storeName, reason: "its files hash to \(actual), the manifest says \(entry.contentHash)")
            }
        }
        guard let snapshot = manifest.entries.first(where: { $0.kind == .boardSnapshot }), manifest.generation.boardSnapshot == snapshot.storeName else {
            throw BundleError.missingInput(what: "the board snapshot of generation \(manifest.generation.number)", entry: manifest.generation.boardSnapshot ?? "none")
        }
        let boardFolder = folder(snapshot).appendingPathComponent(manifest.board)
        let snapshotDerivation = Derivation(name: "board-\(manifest.board)", kind: .boardSnapshot, fixedOutput: try TreeHash.hash(of: boardFolder))
        guard snapshotDerivation.storeName == snapshot.storeName else {
            throw BundleError.inconsistent(entry: snapshot.storeName, reason: "its content names it \(snapshotDerivation.storeName)")
        }
        guard manifest.lock == "store/\(snapshot.storeName)/\(manifest.board)/ownerboot.lock" else {
            throw BundleError.inconsistent(entry: manifest.lock, reason: "the lock must be the board snapshot's")
        }
        let board = try BoardLoader().load(boardFolder.appendingPathComponent("board.toml"))
        guard board.name == manifest.board else { throw BundleError.inconsistent(entry: snapshot.storeName, reason: "it holds board \(board.name)") }
        let lock = try LockFile.load(for: board)

        var expected: [String: (Derivation, String)] = [snapshotDerivation.hash: (snapshotDerivation, "the board snapshot")]
        // Every .deb must be one Debian's archive signed: a lock without the signed metadata
        // (written before ownerboot kept it) is refused, whoever signed the bundle.
        var archives: [(what: String, env: LockFile.BuildEnvironment)] = []
        for (what, env) in [("the build environment", lock.buildenv), ("the OS", lock.os)] {
            guard let env else { continue }
            guard let archive = env.archive else { throw LockError.archiveUnpinned(part: what) }
            expected[archive.derivation.hash] = (archive.derivation, "Debian's archive metadata (InRelease \(archive.inRelease))")
            archives.append((what, env))
        }
        var packages: [String: LockFile.Package] = [:]
        for package in lock.allPackages {
            guard let derivation = package.derivation else { throw LockError.packageUnpinned(package: package.pin) }
            expected[derivation.hash] = (derivation, "package \(package.pin)")
            packages[derivation.hash] = package
        }
        for name in lock.sources.keys { expected[lock.sourceDerivation(name)!.hash] = (lock.sourceDerivation(name)!, "source \(name)") }
        var byHash: [String: Derivation] = [:]
        for entry in manifest.entries {
            guard let derivation = expected[entry.hash]?.0, derivation.storeName == entry.storeName, derivation.kind == entry.kind else {
                throw BundleError.inconsistent(entry: entry.storeName, reason: "the bundle's lock pins no such entry")
            }
            byHash[entry.hash] = derivation
            // The bytes must be the ones the lock pins, not only the ones the manifest lists.
            let names = try FileManager.default.contentsOfDirectory(atPath: folder(entry).path).sorted()
            switch entry.kind {
            case .package:
                let package = packages[entry.hash]!
                guard names == [package.debFileName] else { throw BundleError.inconsistent(entry: entry.storeName, reason: "it must hold exactly \(package.debFileName)") }
                let actual = try SHA256Digest.hex(fileAt: folder(entry).appendingPathComponent(package.debFileName))
                guard actual == package.sha256 else {
                    throw LockError.packageMismatch(package: package.pin, file: "store/\(entry.storeName)/\(package.debFileName)", expected: package.sha256!, actual: actual)
                }
            case .archive:
                // Exactly InRelease and the indexes the lock names (verified below).
                let archive = lock.archives.first { $0.derivation.hash == entry.hash }!
                let files = try TreeHash.entries(of: folder(entry)).filter { $0.summary.hasPrefix("f ") }.map(\.path).sorted()
                guard files == ([ArchiveIndex.inReleaseName] + archive.indexes).sorted() else {
                    throw BundleError.inconsistent(entry: entry.storeName, reason: "it must hold exactly InRelease and \(archive.indexes.joined(separator: ", "))")
                }
            case .source:
                let name = lock.sources.keys.first { lock.sourceDerivation($0)!.hash == entry.hash }!
                let files = lock.sources[name]!.files
                guard names == files.map(\.name).sorted() else { throw BundleError.inconsistent(entry: entry.storeName, reason: "it must hold exactly \(files.map(\.name).joined(separator: ", "))") }
                for file in files {
                    let actual = try SHA256Digest.hex(fileAt: folder(entry).appendingPathComponent(file.name))
                    guard actual == file.sha256 else { throw LockError.sourceMismatch(source: name, file: file.name, expected: file.sha256, actual: actual) }
                }
            default: break
            }
        }
        if let missing = expected.keys.sorted().first(where: { byHash[$0] == nil }) {
            throw BundleError.missingInput(what: expected[missing]!.1, entry: expected[missing]!.0.storeName)
        }
        // The signed metadata as staged (InRelease by the keyring, each index by InRelease),
        // then every pin and every staged .deb against it.
        for (_, env) in archives {
            let archive = env.archive!
            let index = try ArchiveIndex.verify(staging.appendingPathComponent("store").appendingPathComponent(archive.derivation.storeName),
                                                archive: archive, suite: env.suite, keyring: keyring, packages: env.packages)
            for package in env.packages {
                try index.check(deb: staging.appendingPathComponent("store").appendingPathComponent(package.derivation!.storeName).appendingPathComponent(package.debFileName), of: package)
            }
        }
        // With the generation's own number, as a rebuild here plans it (the ROM embeds it).
        let plan = try BuildPlan.make(board: board, lock: lock, store: store, generation: manifest.generation.number)
        guard plan.setHash == manifest.generation.setHash else {
            throw BundleError.inconsistent(entry: snapshot.storeName, reason: "the board snapshot plans to set \(plan.setHash), the generation record says \(manifest.generation.setHash)")
        }
        return (byHash, plan)
    }
}
