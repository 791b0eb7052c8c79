import Foundation
import Support

/// Everything the SBOM and the provenance of one generation say, gathered once from the store:
/// the board and lock as the generation's snapshot recorded them, the derivation set planned
/// from that snapshot (checked against the recorded set hash), every component output's files
/// with checksums, and which pinned Debian packages each output carries (found by content in
/// the build environment's dpkg database). Plain values, sorted: the writers turn the same
/// facts into the same bytes.
public struct GenerationFacts: Sendable {
    /// A component of the set and what its output holds.
    public struct Component: Sendable {
        public var name: String
        public var derivation: Derivation
        public var files: [OutputFile]
        /// Files inside images of the output (initramfs, file-system image).
        public var members: [OutputFile]
        /// Names of pinned build-environment packages found in the output, sorted.
        public var packages: [String]
        /// Builder script path relative to the board folder, and its SHA-256.
        public var builder: String
    }

    /// A file of the board folder a component reads (config fragment, init script).
    public struct BoardFile: Sendable, Equatable {
        public var name: String
        public var sha256: String
    }

    public var board: Board
    public var lock: LockFile
    public var generation: Store.Generation
    public var buildEnvironment: Derivation
    public var sources: [(spec: SourceSpec, derivation: Derivation, lock: LockFile.Source)]
    /// In build order (the ROM last).
    public var components: [Component]
    public var boardFiles: [BoardFile]
    /// The OS packages installed in the image (its `packages.txt`, matched to the lock's
    /// pins); nil without an `[os]` image.
    public var osInstalled: [LockFile.Package]?
    /// The SOURCE_DATE_EPOCH the set was built with; the documents' timestamps come from it.
    public var sourceDateEpoch: Int

    public var created: Date { Date(timeIntervalSince1970: TimeInterval(sourceDateEpoch)) }

    /// The generation `number` of `board`, or its latest when nil.
    public static func gather(board name: String, generation number: Int?, store: Store) throws -> GenerationFacts {
        let generations = try store.generations(board: name)
        guard let latest = generations.last else { throw ProvenanceError.noGenerations(board: name) }
        let (board, generation) = try BoardSnapshot.board(generation: number ?? latest.number, of: name, store: store)
        let lock = try LockFile.load(for: board)
        let plan = try BuildPlan.make(board: board, lock: lock, store: store)
        guard plan.setHash == generation.setHash else {
            throw ProvenanceError.setMismatch(board: name, number: generation.number, recorded: generation.setHash, planned: plan.setHash)
        }
        let buildEnvironment = plan.steps.first { $0.derivation.kind == .buildEnvironment }!.derivation
        let index = try DebianPackageIndex(root: store.path(of: buildEnvironment))
        let pinned = Set(lock.buildenv?.packages.map(\.name) ?? [])
        let scanner = OutputScanner()

        var sources: [(spec: SourceSpec, derivation: Derivation, lock: LockFile.Source)] = []
        var components: [Component] = []
        var boardFiles: [String: BoardFile] = [:]
        var osInstalled: [LockFile.Package]?
        for step in plan.steps {
            switch step.derivation.kind {
            case .source:
                if let spec = step.source, let locked = lock.sources[spec.name] { sources.append((spec, step.derivation, locked)) }
            case .component:
                let output = store.path(of: step.derivation)
                guard FileManager.default.fileExists(atPath: output.path) else {
                    throw ProvenanceError.missingOutput(component: step.derivation.name, path: output.path)
                }
                let (files, members) = try scanner.scan(output)
                if step.derivation.name == BuildPlan.osComponent, let pinned = lock.os?.packages {
                    osInstalled = try InstalledOSPackages.read(outputDirectory: output, pinned: pinned)
                }
                var packages = Set<String>()
                for file in files + members {
                    let fileName = (file.path as NSString).lastPathComponent
                    if let package = index.package(md5: file.md5, fileName: fileName), pinned.contains(package) { packages.insert(package) }
                }
                // A file input is named in /inputs by its last path component; the board names
                // it by its path in the board folder (e.g. patches/0001-….patch).
                let declared = board.components.first { $0.name == step.derivation.name }?.inputs ?? []
                for input in step.derivation.inputs where input.kind == .file {
                    let path = declared.first { $0 == input.name || ($0 as NSString).lastPathComponent == input.name } ?? input.name
                    boardFiles[path] = BoardFile(name: path, sha256: input.hash)
                }
                let builder = board.components.first { $0.name == step.derivation.name }?.builder ?? ""
                components.append(Component(name: step.derivation.name, derivation: step.derivation, files: files, members: members,
                                            packages: packages.sorted(), builder: builder))
            case .buildEnvironment, .boardSnapshot, .package, .attestation, .repository, .archive:
                // The .debs are described from the lock (every pinned package, by its hash).
                break
            }
        }
        return GenerationFacts(
            board: board, lock: lock, generation: generation, buildEnvironment: buildEnvironment,
            sources: sources.sorted { $0.spec.name < $1.spec.name }, components: components,
            boardFiles: boardFiles.values.sorted { $0.name < $1.name }, osInstalled: osInstalled,
            sourceDateEpoch: board.buildEnvironment?.sourceDateEpoch ?? Int(generation.createdAt.timeIntervalSince1970))
    }

    /// The pinned package `name` of the build environment.
    public func package(_ name: String) -> LockFile.Package? { lock.buildenv?.packages.first { $0.name == name } }

    /// `pkg:deb/debian/NAME@VERSION?arch=ARCH&distro=SUITE`, percent-encoded as the purl spec says.
    public func purl(name: String, version: String, arch: String) -> String {
        let suite = lock.buildenv?.suite ?? "bookworm"
        return "pkg:deb/debian/\(Self.purlEncode(name))@\(Self.purlEncode(version))?arch=\(Self.purlEncode(arch))&distro=\(Self.purlEncode(suite))"
    }

    static func purlEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: ".-_~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
