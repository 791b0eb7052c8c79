import Foundation
import Support
import Boot

/// A board's derivation set, resolved against its lock: every derivation in build order with
/// its hash, what it depends on and where its inputs come from. Making a plan builds nothing
/// and reads no network; `ownerboot plan` prints it, `Builder` carries it out.
public struct BuildPlan: Sendable {
    public struct Step: Sendable {
        public var derivation: Derivation
        /// Hashes of the derivations this one needs first.
        public var dependencies: [String]
        /// For components: the builder script and each input's source on the host.
        public var builder: URL?
        public var inputPaths: [(name: String, path: URL)]
        /// The source spec (for `source-*` steps).
        public var source: SourceSpec?
        /// For components that pack a staged folder into an initramfs.
        public var pack: PackSpec? = nil
    }

    /// The component that is the flash image; ownerboot gives it the manifest and command line.
    public static let romComponent = "rom"

    public var board: Board
    public var lock: LockFile
    public var steps: [Step]
    public var setHash: String
    public var generation: Int
    public var generationIsNew: Bool
    public var manifest: OwnerbootManifest
    /// Where the ROM's write-protected half comes from, in words (`board.toml fallback_generation
    /// = 2`, `promoted generation 2`); nil: the ROM carries this generation in both halves.
    public var fallbackSource: String? = nil

    public func step(named name: String) -> Step? { steps.first { $0.derivation.name == name } }

    /// `generation`: the number the ROM's manifest carries instead of the store's next one
    /// (a previous release made for a test is numbered below the current generation).
    ///
    /// `fallback`: the ROM (its derivation hash and output folder) whose write-protected half
    /// this ROM keeps byte for byte; nil: the one `[write_protect] fallback_generation` names,
    /// else the ROM last promoted to the board's protected half (`ownerboot promote`), else
    /// none (the ROM carries this generation in both halves). `selfContained`: none, whatever
    /// board.toml or the store say (the ROM `ownerboot promote` writes).
    public static func make(board: Board, lock: LockFile, store: Store, generation numberOverride: Int? = nil, fallback: FallbackROM? = nil, selfContained: Bool = false) throws -> BuildPlan {
        guard let envHash = lock.buildEnvironmentHash, let spec = board.buildEnvironment else {
            throw LockError.missing(board: board.name, path: board.lockFile.path)
        }
        // A board file that is a link out of its folder (to the owner's key, say) is refused
        // here, before any builder could see it, not only when the snapshot is taken.
        try BoardRecipeFiles.checkLinks(board)
        var steps: [Step] = []
        let buildenv = Derivation(name: "buildenv", kind: .buildEnvironment, fixedOutput: envHash)
        steps.append(Step(derivation: buildenv, dependencies: [], builder: nil, inputPaths: []))
        var sourceHashes: [String: String] = [:]
        for source in board.sources {
            guard let fixed = lock.sourceHash(source.name) else { throw LockError.stale(board: board.name, path: board.lockFile.path) }
            let derivation = Derivation(name: "source-\(source.name)", kind: .source, fixedOutput: fixed)
            sourceHashes[source.name] = derivation.hash
            steps.append(Step(derivation: derivation, dependencies: [], builder: nil, inputPaths: [], source: source))
        }

        // The OS's pinned closure as a local repository: a fixed output like the build
        // environment, bound at /inputs/os-packages for the components that list it.
        if board.os != nil {
            guard let fixed = lock.osPackagesHash else { throw LockError.stale(board: board.name, path: board.lockFile.path) }
            let derivation = Derivation(name: OSSpec.packagesInput, kind: .repository, fixedOutput: fixed)
            sourceHashes[OSSpec.packagesInput] = derivation.hash
            steps.append(Step(derivation: derivation, dependencies: [], builder: nil, inputPaths: []))
        }

        let components = Dictionary(uniqueKeysWithValues: board.components.map { ($0.name, $0) })
        var order: [String] = []
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ name: String, _ path: [String]) throws {
            if state[name] == 2 { return }
            if state[name] == 1 { throw BuildError.cycle(path: path + [name]) }
            state[name] = 1
            for input in components[name]!.inputs where components[input] != nil { try visit(input, path + [name]) }
            state[name] = 2
            order.append(name)
        }
        for component in board.components { try visit(component.name, []) }

        var fallback = selfContained ? nil : fallback
        var fallbackSource = fallback.map { "ROM \($0.derivationHash.prefix(16))" }
        var fallbackGeneration: Int?
        if fallback == nil, !selfContained, board.writeProtect != nil, components[romComponent] != nil {
            if let number = board.writeProtect?.fallbackGeneration {
                guard let recorded = try store.generations(board: board.name).first(where: { $0.number == number }),
                      let hash = recorded.components[romComponent],
                      FileManager.default.fileExists(atPath: store.path(hash: hash, name: romComponent).path) else {
                    throw BuildError.fallbackNotInStore(board: board.name, generation: number, file: board.directory.appendingPathComponent("board.toml").path)
                }
                fallback = FallbackROM(derivationHash: hash, directory: store.path(hash: hash, name: romComponent))
                fallbackSource = "board.toml fallback_generation = \(number)"
                fallbackGeneration = number
            } else if let promoted = try store.promotion(board: board.name) {
                // What the deployed chips' protected half holds (the ROM promote wrote).
                let directory = store.path(hash: promoted.romHash, name: romComponent)
                guard FileManager.default.fileExists(atPath: directory.path) else {
                    throw BuildError.promotedNotInStore(board: board.name, generation: promoted.generation, romHash: promoted.romHash)
                }
                fallback = FallbackROM(derivationHash: promoted.romHash, directory: directory)
                fallbackSource = "promoted generation \(promoted.generation)"
                fallbackGeneration = promoted.generation
            }
        }

        var componentHashes: [String: String] = [:]
        var generation = 0, isNew = true, setHash = ""
        var manifest = OwnerbootManifest(board: board.name, generation: 0, setHash: "", components: [:])
        // Components other than the ROM first, so the set hash and generation are known
        // before the ROM (which carries them in its manifest) is planned.
        for name in order.filter({ $0 != romComponent }) + order.filter({ $0 == romComponent }) {
            let component = components[name]!
            if name == romComponent {
                // The ROM carries the set hash, so its derivation cannot be part of the set; its
                // recipe is: a changed ROM builder or kernel command line is a new set.
                var members = componentHashes
                members[romComponent] = try Self.recipeHash(component, board: board)
                setHash = try Self.setHash(members)
                (generation, isNew) = try store.generationNumber(board: board.name, setHash: setHash)
                if let numberOverride { (generation, isNew) = (numberOverride, false) }
                manifest = OwnerbootManifest(board: board.name, generation: generation, setHash: setHash, components: componentHashes)
                // The fallback is this very generation: the ROM is self-contained, with the
                // same derivation (and bytes) as before the promotion.
                if fallbackGeneration == generation { fallback = nil }
            }
            var inputs: [Derivation.Input] = []
            var paths: [(name: String, path: URL)] = []
            var dependencies = [buildenv.hash]
            for input in component.inputs {
                if let hash = sourceHashes[input] {
                    inputs.append(.init(name: input, kind: .source, hash: hash))
                    paths.append((input, store.path(hash: hash, name: input == OSSpec.packagesInput && board.os != nil ? input : "source-\(input)")))
                    dependencies.append(hash)
                } else if let hash = componentHashes[input] {
                    inputs.append(.init(name: input, kind: .component, hash: hash))
                    paths.append((input, store.path(hash: hash, name: input)))
                    dependencies.append(hash)
                } else {
                    guard let file = board.resolve(input)?.url else { throw BuildError.missingInput(derivation: name, input: input) }
                    let base = file.lastPathComponent
                    inputs.append(.init(name: base, kind: .file, hash: try Self.fileHash(file)))
                    paths.append((base, file))
                }
            }
            if name == romComponent, let fallback {
                // Not a dependency to schedule: it is an earlier ROM, already in the store.
                inputs.append(.init(name: "fallback", kind: .component, hash: fallback.derivationHash))
                paths.append(("fallback", fallback.directory))
            }
            var env = component.env
            if let pack = component.pack { env["OWNERBOOT_PACK"] = pack.canonical }
            if let sandbox = component.sandbox { env["OWNERBOOT_SANDBOX"] = sandbox }
            if let os = board.os, component.inputs.contains(OSSpec.packagesInput) {
                // What makes the OS the owner's, for its builder (public data only).
                env["OS_SUITE"] = os.suite
                env["OS_VARIANT"] = os.variant
                env["OS_PACKAGES"] = os.packages.joined(separator: ",")
                env["OS_HOSTNAME"] = os.hostname
                env["OS_USERS"] = os.users.joined(separator: " ")
                env["OS_SSH_KEYS"] = os.sshKeys.joined(separator: "\n")
                // Only a kexec OS sets it, so the other boards' OS derivations stay as they were.
                if os.kernel == .kexec { env["OS_KERNEL"] = os.kernel.rawValue }
                if let overlay = os.overlay {
                    let folder = try board.file(overlay)
                    inputs.append(.init(name: "os-overlay", kind: .file, hash: try TreeHash.hash(of: folder)))
                    paths.append(("os-overlay", folder))
                }
            }
            if name == romComponent {
                let base = env.removeValue(forKey: "CMDLINE") ?? "console=ttyS0,115200"
                var cmdline = base + " ownerboot.board=\(board.name) ownerboot.generation=\(generation) ownerboot.set=\(setHash)"
                if let uuid = board.rootUUID { cmdline += " ownerboot.root_uuid=\(uuid)" }
                var romManifest = manifest
                if board.os != nil, component.inputs.contains(Self.osComponent) {
                    // The OS's verity root hash is known once the OS is built (it is a pure
                    // function of the OS derivation, an input of the ROM): the Builder fills
                    // the placeholder in. Not `roothash=`: systemd's verity generator takes that.
                    cmdline += " ownerboot.verity=\(Self.osRootHashPlaceholder) ownerboot.verity_offset=@input:os/hash_offset@"
                    if let state = board.stateUUID { cmdline += " ownerboot.state_uuid=\(state)" }
                    // The unlocker keeps the volume keys and hands over to the root's own kernel.
                    if board.os?.kernel == .kexec { cmdline += " ownerboot.kexec=1" }
                    romManifest.osRootHash = Self.osRootHashPlaceholder
                }
                env["OWNERBOOT_CMDLINE"] = cmdline
                env["OWNERBOOT_MANIFEST"] = String(decoding: try romManifest.encoded(), as: UTF8.self)
            }
            let builder = try board.file(component.builder)
            let derivation = Derivation(
                name: name, kind: .component, builderHash: try SHA256Digest.hex(fileAt: builder), inputs: inputs, env: env,
                buildEnvironment: buildenv.hash, sourceDateEpoch: spec.sourceDateEpoch)
            componentHashes[name] = derivation.hash
            steps.append(Step(derivation: derivation, dependencies: dependencies, builder: builder, inputPaths: paths, pack: component.pack))
        }
        if !components.keys.contains(romComponent) {
            setHash = try Self.setHash(componentHashes)
            (generation, isNew) = try store.generationNumber(board: board.name, setHash: setHash)
            if let numberOverride { (generation, isNew) = (numberOverride, false) }
        }
        var plan = BuildPlan(board: board, lock: lock, steps: steps, setHash: setHash, generation: generation, generationIsNew: isNew, manifest: manifest)
        plan.fallbackSource = fallback == nil ? nil : fallbackSource
        return plan
    }

    /// The component whose output holds the OS image (and its `roothash`).
    public static let osComponent = "os"
    /// Filled in by the Builder from the built OS's `roothash` file.
    public static let osRootHashPlaceholder = "@input:os/roothash@"

    /// A board file's content hash; a folder (an overlay) is hashed as a tree.
    static func fileHash(_ file: URL) throws -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: file.path, isDirectory: &isDirectory), isDirectory.boolValue { return try TreeHash.hash(of: file) }
        return try SHA256Digest.hex(fileAt: file)
    }

    /// SHA-256 of `[["name","hash"],…]` sorted by name (docs/reference/derivation-hash.md).
    /// A component's own recipe: its builder's hash, its environment, its inputs' names and its
    /// packing, without anything the set decides (that is what the ROM's recipe must be).
    static func recipeHash(_ component: ComponentSpec, board: Board) throws -> String {
        let builder = try SHA256Digest.hex(fileAt: try board.file(component.builder))
        let env = component.env.keys.sorted().map { [$0, component.env[$0]!] }
        let recipe: [Any] = [builder, env, component.inputs, component.pack?.canonical ?? ""]
        return SHA256Digest.hex(Array(try JSONSerialization.data(withJSONObject: recipe, options: [.sortedKeys, .withoutEscapingSlashes])))
    }

    static func setHash(_ components: [String: String]) throws -> String {
        let pairs = components.keys.sorted().map { [$0, components[$0]!] }
        return SHA256Digest.hex(Array(try JSONSerialization.data(withJSONObject: pairs, options: [.sortedKeys, .withoutEscapingSlashes])))
    }

    /// Component name → derivation hash.
    public var componentHashes: [String: String] {
        Dictionary(uniqueKeysWithValues: steps.filter { $0.derivation.kind == .component }.map { ($0.derivation.name, $0.derivation.hash) })
    }
}
