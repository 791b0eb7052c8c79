import Foundation
import Support

/// `ownerboot export`: writes one self-contained bundle (an uncompressed ustar file) for a
/// board's generation: `manifest.json` first, its detached signature when a signer is given,
/// the generated extras (SBOM, provenance), then the store entries a rebuild needs — the board
/// snapshot (with its lock), every source and every .deb. Each entry is re-hashed against what
/// the store recorded, and each file's bytes are hashed again while they are written, so the
/// bundle says exactly what it holds. The file appears only complete (written beside the
/// destination, then renamed).
public struct BundleExporter: Sendable {
    /// Manifest bytes → detached signature file bytes (stored as `manifest.json.minisig`).
    public typealias Signer = @Sendable (Data) throws -> Data

    public var store: Store
    public var signer: Signer?
    /// Generated files to carry (name → bytes); listed in the manifest like every other file.
    public var extraFiles: [String: Data]

    public init(store: Store, signer: Signer? = nil, extraFiles: [String: Data] = [:]) {
        self.store = store
        self.signer = signer
        self.extraFiles = extraFiles
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var board: String
        public var generation: Int
        public var setHash: String
        public var path: String
        /// The bundle's size on disk.
        public var bytes: Int64
        public var files: Int
        public var entries: Int
        public var signed: Bool
        public var seconds: Double
    }

    /// Exports generation `number` (the newest when nil) of `board` to `destination`, which
    /// must not exist yet.
    public func export(board: String, generation number: Int? = nil, to destination: URL, progress: ProgressSink = { _ in }) throws -> Summary {
        let started = Date()
        let generations = try store.generations(board: board)
        guard let generation = number.map({ n in generations.first { $0.number == n } }) ?? generations.last else {
            throw BundleError.noGeneration(board: board, number: number)
        }
        guard let snapshotName = generation.boardSnapshot, let lock = try GenerationInputs.lock(of: generation, store: store) else {
            throw BundleError.noSnapshot(board: board, number: generation.number)
        }
        guard !FileManager.default.fileExists(atPath: destination.path) else { throw BundleError.destinationExists(path: destination.path) }
        for name in extraFiles.keys where !BundleManifest.isValidExtraName(name) { throw BundleError.badExtraName(name: name) }

        // What a rebuild needs that cannot be rebuilt: the snapshot, then every pinned input.
        var needed: [(hash: String, storeName: String, what: String)] = [(String(snapshotName.prefix(64)), snapshotName, "the board snapshot")]
        // Debian's signed metadata, without which an importer refuses the .debs.
        for (what, env) in [("the build environment", lock.buildenv), ("the OS", lock.os)] where env != nil && env!.archive == nil {
            throw LockError.archiveUnpinned(part: what)
        }
        for archive in lock.archives {
            needed.append((archive.derivation.hash, archive.derivation.storeName, "Debian's archive metadata (InRelease \(archive.inRelease))"))
        }
        for package in lock.allPackages {
            guard let derivation = package.derivation else { throw LockError.packageUnpinned(package: package.pin) }
            needed.append((derivation.hash, derivation.storeName, "package \(package.pin)"))
        }
        for name in lock.sources.keys.sorted() {
            let derivation = lock.sourceDerivation(name)!
            needed.append((derivation.hash, derivation.storeName, "source \(name)"))
        }

        let task = "export \(board)"
        progress(ProgressEvent(task: task, phase: .started, done: 0, total: Int64(needed.count), unit: "entries", detail: "checking store entries"))
        var entries: [BundleManifest.Entry] = []
        var files: [BundleManifest.File] = []
        for (index, item) in needed.enumerated() {
            let folder = store.root.appendingPathComponent(item.storeName)
            guard let output = try store.output(hash: item.hash), FileManager.default.fileExists(atPath: folder.path) else {
                throw BundleError.missingInput(what: item.what, entry: item.storeName)
            }
            guard let kind = Derivation.Kind(rawValue: output.kind) else { throw BundleError.corruptEntry(entry: folder.lastPathComponent, recorded: output.kind, actual: "unknown kind") }
            let listed = try TreeHash.entries(of: folder)
            let actual = TreeHash.hash(entries: listed)
            guard actual == output.contentHash else { throw BundleError.corruptEntry(entry: folder.lastPathComponent, recorded: output.contentHash, actual: actual) }
            let entry = BundleManifest.Entry(hash: output.hash, name: output.name, kind: kind, contentHash: output.contentHash, size: output.size)
            entries.append(entry)
            for item in listed {
                let parts = item.summary.split(separator: " ").map(String.init)
                let path = "store/\(entry.storeName)/\(item.path)"
                guard parts.count >= 2, let mode = Int(parts[1], radix: 8) else { throw BundleError.unsupportedFile(path: path) }
                switch parts[0] {
                case "d": files.append(.init(path: path, kind: .directory, mode: mode, size: 0, sha256: nil))
                case "f" where parts.count == 3:
                    let size = (try FileManager.default.attributesOfItem(atPath: folder.appendingPathComponent(item.path).path)[.size] as? NSNumber)?.int64Value ?? 0
                    files.append(.init(path: path, kind: .file, mode: mode, size: size, sha256: parts[2]))
                default: throw BundleError.unsupportedFile(path: folder.appendingPathComponent(item.path).path)
                }
            }
            progress(ProgressEvent(task: task, phase: .progress, done: Int64(index + 1), total: Int64(needed.count), unit: "entries", detail: entry.storeName,
                                   elapsed: Date().timeIntervalSince(started)))
        }
        let extras = extraFiles.keys.sorted()
        let extraRecords = extras.map { BundleManifest.File(path: $0, kind: .file, mode: 0o644, size: Int64(extraFiles[$0]!.count), sha256: SHA256Digest.hex(extraFiles[$0]!)) }
        var outputs: [String: String] = [:]
        for (component, hash) in generation.components {
            if let output = try store.output(hash: hash) { outputs[component] = output.contentHash }
        }
        let manifest = BundleManifest(board: board, generation: generation, lock: "store/\(snapshotName)/\(board)/ownerboot.lock",
                                      outputs: outputs, entries: entries, extras: extras, files: extraRecords + files)
        try manifest.validate()
        let manifestData = try manifest.encoded()
        let signature = try signer?(manifestData)

        let partial = destination.deletingLastPathComponent().appendingPathComponent(".\(destination.lastPathComponent).partial-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: partial.path, contents: nil) else {
            throw BundleError.unreadable(path: partial.path, reason: "cannot create it")
        }
        var keep = false
        defer { if !keep { try? FileManager.default.removeItem(at: partial) } }
        let out = try FileHandle(forWritingTo: partial)
        defer { try? out.close() }
        let total = manifest.totalBytes
        var written: Int64 = 0
        var lastReport = Date()
        func member(_ header: TarHeader, data: Data) throws {
            try out.write(contentsOf: try header.encoded())
            try out.write(contentsOf: data)
            try pad(Int64(data.count))
        }
        func pad(_ size: Int64) throws {
            let remainder = Int(size % Int64(TarHeader.blockSize))
            if remainder != 0 { try out.write(contentsOf: Data(count: TarHeader.blockSize - remainder)) }
        }
        try member(TarHeader(path: BundleManifest.fileName, kind: .file, mode: 0o644, size: Int64(manifestData.count)), data: manifestData)
        if let signature { try member(TarHeader(path: BundleManifest.signatureName, kind: .file, mode: 0o644, size: Int64(signature.count)), data: signature) }
        for name in extras { try member(TarHeader(path: name, kind: .file, mode: 0o644, size: Int64(extraFiles[name]!.count)), data: extraFiles[name]!) }
        for file in files {
            let parts = file.path.split(separator: "/", maxSplits: 2).map(String.init)
            let source = store.root.appendingPathComponent(parts[1]).appendingPathComponent(parts[2])
            guard file.kind == .file else {
                try out.write(contentsOf: try TarHeader(path: file.path, kind: .directory, mode: file.mode, size: 0).encoded())
                continue
            }
            try out.write(contentsOf: try TarHeader(path: file.path, kind: .file, mode: file.mode, size: file.size).encoded())
            let input = try FileHandle(forReadingFrom: source)
            defer { try? input.close() }
            var hasher = SHA256Hasher()
            var copied: Int64 = 0
            while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty {
                hasher.update(chunk)
                copied += Int64(chunk.count)
                guard copied <= file.size else { break }
                try out.write(contentsOf: chunk)
            }
            let actual = hasher.hex()
            guard copied == file.size, actual == file.sha256 else {
                throw BundleError.corruptEntry(entry: source.path, recorded: file.sha256 ?? "-", actual: "\(actual) (\(copied) bytes) while it was being written")
            }
            try pad(file.size)
            written += file.size
            if Date().timeIntervalSince(lastReport) > 0.5 {
                lastReport = Date()
                progress(ProgressEvent(task: task, phase: .progress, done: written, total: total, unit: "bytes", detail: file.path, elapsed: Date().timeIntervalSince(started)))
            }
        }
        try out.write(contentsOf: Data(count: TarHeader.blockSize * 2))
        try out.synchronize()
        try out.close()
        try FileManager.default.moveItem(at: partial, to: destination)
        keep = true
        let bytes = (try FileManager.default.attributesOfItem(atPath: destination.path)[.size] as? NSNumber)?.int64Value ?? 0
        let seconds = Date().timeIntervalSince(started)
        progress(ProgressEvent(task: task, phase: .finished, done: total, total: total, unit: "bytes", detail: destination.path, elapsed: seconds))
        return Summary(board: board, generation: generation.number, setHash: generation.setHash, path: destination.path, bytes: bytes,
                       files: manifest.files.count, entries: entries.count, signed: signature != nil, seconds: seconds)
    }
}
