import Boot
import Foundation
import Support
import TOMLKit

/// Reads `board.toml` and the profiles it includes into a `Board`, checking every key: unknown
/// keys, wrong types and missing files are `BoardError`s naming the file (the board's or the
/// profile's that set the key), the line and the key, with the near miss. Every file name is
/// looked up in the board's folder, then in `layers`.
public struct BoardLoader: Sendable {
    /// Where file names not in the board's folder are found.
    public var layers: RecipeLayers

    public init(layers: RecipeLayers = .none) {
        self.layers = layers
    }

    static let sections: [String: Set<String>] = [
        "board": ["name", "profile", "description", "arch", "protection", "fallback", "tpm"],
        "chip": ["name", "size", "programmer", "models", "access"],
        "chips": ["label", "name", "size", "offset", "programmer", "models", "access"],
        "descriptor": ["kind", "write_regions", "bios_start", "bios_length"],
        "write_protect": ["start", "length", "mode", "fallback_generation"],
        "chipset_protect": ["mechanism", "start", "length", "config", "requires"],
        "buildenv": ["suite", "mirror", "variant", "packages", "source_date_epoch"],
        "disk": ["root_uuid", "slot_b_uuid", "state_uuid"],
        "os": ["suite", "mirror", "variant", "packages", "extra_packages", "hostname", "users", "ssh_keys", "overlay", "kernel"],
        "sources": [],
        "components": [],
    ]
    /// Tables of named tables (`[sources.NAME]`, `[components.NAME]`) and their keys.
    static let namedSections: [String: Set<String>] = [
        "sources": ["kind", "package", "version"],
        "components": ["builder", "inputs", "env", "pack", "sandbox"],
    ]

    public func load(_ file: URL) throws -> Board {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw BoardError.unreadable(file: file.path, reason: "\(error.localizedDescription)")
        }
        return try parse(text, file: file)
    }

    public func parse(_ text: String, file: URL) throws -> Board {
        let path = file.path
        let directory = file.deletingLastPathComponent()
        let boardSource = try BoardSources.parse(text, path: path)
        try BoardSources.checkKeys(boardSource, allowed: Self.sections, named: Self.namedSections)
        let chain = try BoardSources.load(board: boardSource, boardDirectory: directory, layers: layers)
        let root = chain.merged
        func resolve(_ name: String) -> ResolvedFile? { layers.find(name, boardDirectory: directory) }
        let fields = FieldReader(sources: chain)
        let name = try fields.string("board", "name")
        let expectedName = file.deletingLastPathComponent().lastPathComponent
        if name != expectedName {
            throw BoardError.invalidValue(file: fields.file("name", in: "board"), line: fields.line("name", in: "board"), key: "board.name", value: "\"\(name)\"", expected: "\"\(expectedName)\", the name of the board's folder")
        }
        // The chips' lines are looked up in the file that wrote them (a machine profile may).
        let chipSource = chain.source(ofKey: root["chips"] != nil ? "chips" : "chip", in: nil)
        let chipSection = ChipSection(root: root, fields: fields, file: chipSource.path, lines: chipSource.lines)
        let chips = try chipSection.chips()
        let size = chips.map { $0.offset + $0.sizeBytes }.max() ?? 0
        let descriptor = try chipSection.descriptor(chips: chips)
        var writeProtect: WriteProtectSpec?
        if root["write_protect"] != nil {
            let modeText = try fields.string("write_protect", "mode")
            guard let mode = WriteProtectSpec.Mode(rawValue: modeText) else {
                throw BoardError.invalidValue(file: fields.file("mode", in: "write_protect"), line: fields.line("mode", in: "write_protect"), key: "write_protect.mode", value: "\"\(modeText)\"", expected: WriteProtectSpec.Mode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let start = try fields.int("write_protect", "start")
            let length = try fields.int("write_protect", "length")
            if start < 0 || length < 0 || start + length > size {
                throw BoardError.invalidValue(file: fields.file("length", in: "write_protect"), line: fields.line("length", in: "write_protect"), key: "write_protect", value: String(format: "0x%X+0x%X", start, length), expected: "a range inside the \(size)-byte flash")
            }
            writeProtect = WriteProtectSpec(start: start, length: length, mode: mode)
            if root["write_protect"]?.table?["fallback_generation"] != nil {
                writeProtect?.fallbackGeneration = try fields.int("write_protect", "fallback_generation")
            }
        }
        var buildEnvironment: BuildEnvironmentSpec?
        if root["buildenv"] != nil {
            buildEnvironment = BuildEnvironmentSpec(
                suite: try fields.optionalString("buildenv", "suite") ?? "bookworm",
                mirror: try fields.optionalString("buildenv", "mirror") ?? "http://deb.debian.org/debian",
                variant: try fields.optionalString("buildenv", "variant") ?? "buildd",
                packages: try fields.stringArray("buildenv", "packages"),
                sourceDateEpoch: try fields.int("buildenv", "source_date_epoch"))
        }
        let sources = try chain.orderedNames("sources").map { sourceName in
            let section = "sources.\(sourceName)"
            let kindText = try fields.string(section, "kind")
            guard let kind = SourceSpec.Kind(rawValue: kindText) else {
                throw BoardError.invalidValue(file: fields.file("kind", in: section), line: fields.line("kind", in: section), key: "\(section).kind", value: "\"\(kindText)\"", expected: SourceSpec.Kind.allCases.map(\.rawValue).joined(separator: ", "))
            }
            return SourceSpec(name: sourceName, kind: kind, package: try fields.string(section, "package"), version: try fields.string(section, "version"))
        }
        var os: OSSpec?
        if root["os"] != nil {
            let users = try fields.optionalStringArray("os", "users") ?? []
            for user in users where !OSSpec.isValidUserName(user) {
                throw BoardError.invalidValue(file: fields.file("users", in: "os"), line: fields.line("users", in: "os"), key: "os.users", value: "\"\(user)\"", expected: "lower-case user names ([a-z_][a-z0-9_-]*, at most 32 characters)")
            }
            let keys = try fields.optionalStringArray("os", "ssh_keys") ?? []
            for key in keys where !OSSpec.isPublicKeyLine(key) {
                throw BoardError.invalidValue(file: fields.file("ssh_keys", in: "os"), line: fields.line("ssh_keys", in: "os"), key: "os.ssh_keys", value: "\"\(key.prefix(40))…\"", expected: "OpenSSH public key lines (\"ssh-ed25519 AAAA… comment\"); never a private key")
            }
            let hostname = try fields.optionalString("os", "hostname") ?? name
            guard OSSpec.isValidHostname(hostname) else {
                throw BoardError.invalidValue(file: fields.file("hostname", in: "os"), line: fields.line("hostname", in: "os"), key: "os.hostname", value: "\"\(hostname)\"", expected: "a host name (letters, digits, '-', at most 63 characters)")
            }
            let overlay = try fields.optionalString("os", "overlay")
            if let overlay {
                var isDirectory: ObjCBool = false
                guard let folder = resolve(overlay), FileManager.default.fileExists(atPath: folder.url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw BoardError.missingFile(file: fields.file("overlay", in: "os"), line: fields.line("overlay", in: "os"), key: "os.overlay", path: overlay)
                }
            }
            let kernelText = try fields.optionalString("os", "kernel") ?? OSSpec.Kernel.flash.rawValue
            guard let kernel = OSSpec.Kernel(rawValue: kernelText) else {
                throw BoardError.invalidValue(file: fields.file("kernel", in: "os"), line: fields.line("kernel", in: "os"), key: "os.kernel", value: "\"\(kernelText)\"", expected: OSSpec.Kernel.allCases.map(\.rawValue).joined(separator: ", "))
            }
            os = OSSpec(
                suite: try fields.optionalString("os", "suite") ?? buildEnvironment?.suite ?? "bookworm",
                mirror: try fields.optionalString("os", "mirror") ?? buildEnvironment?.mirror ?? "http://deb.debian.org/debian",
                variant: try fields.optionalString("os", "variant") ?? "minbase",
                packages: (try fields.optionalStringArray("os", "packages") ?? OSSpec.defaultPackages) + (try fields.optionalStringArray("os", "extra_packages") ?? []),
                hostname: hostname, users: users, sshKeys: keys, overlay: overlay, kernel: kernel)
            if kernel == .kexec, os?.kernelPackage == nil {
                throw BoardError.invalidValue(file: fields.file("kernel", in: "os"), line: fields.line("kernel", in: "os"), key: "os.kernel", value: "\"kexec\"",
                    expected: "a kernel package for the unlocker to start: add \"linux-image-amd64\" to [os] packages (then `ownerboot lock`), or use kernel = \"flash\"")
            }
        }
        let componentNames = chain.orderedNames("components")
        let known = Set(sources.map(\.name) + componentNames + (os == nil ? [] : [OSSpec.packagesInput]))
        let components = try componentNames.map { componentName in
            let section = "components.\(componentName)"
            let builder = try fields.string(section, "builder")
            if resolve(builder) == nil {
                throw BoardError.missingFile(file: fields.file("builder", in: section), line: fields.line("builder", in: section), key: "\(section).builder", path: builder)
            }
            let inputs = try fields.optionalStringArray(section, "inputs") ?? []
            for input in inputs where !known.contains(input) && resolve(input) == nil {
                throw BoardError.invalidValue(
                    file: fields.file("inputs", in: section), line: fields.line("inputs", in: section), key: "\(section).inputs", value: "\"\(input)\"",
                    expected: "a source, a component, or a file of the board's folder or a recipe folder" + (NearMiss.closest(to: input, in: Array(known)).map { " (did you mean \"\($0)\"?)" } ?? ""))
            }
            var env: [String: String] = [:]
            if let table = fields.value(section, "env") {
                guard let envTable = table.table else {
                    throw BoardError.wrongType(file: fields.file("env", in: section), line: fields.line("env", in: section), key: "\(section).env", expected: "a table of strings")
                }
                for key in envTable.keys {
                    guard let value = envTable[key]?.string else {
                        throw BoardError.wrongType(file: fields.file("env", in: section), line: fields.line("env", in: section), key: "\(section).env.\(key)", expected: "a string")
                    }
                    env[key] = value
                }
            }
            var pack: PackSpec?
            if let value = fields.value(section, "pack") {
                let line = fields.line("pack", in: section), packFile = fields.file("pack", in: section)
                guard let table = value.table, let tree = table["tree"]?.string, let output = table["output"]?.string else {
                    throw BoardError.wrongType(file: packFile, line: line, key: "\(section).pack", expected: "a table { tree = \"DIR\", output = \"FILE\", compression = \"gzip\", devices = [\"dev/console c 5 1\"] }")
                }
                for key in table.keys where !["tree", "output", "compression", "devices"].contains(key) {
                    throw BoardError.unknownKey(file: packFile, line: line, key: "\(section).pack.\(key)", suggestion: NearMiss.closest(to: key, in: ["tree", "output", "compression", "devices"]))
                }
                let compressionText = table["compression"]?.string ?? "gzip"
                guard let compression = Compression.Format(rawValue: compressionText) else {
                    throw BoardError.invalidValue(file: packFile, line: line, key: "\(section).pack.compression", value: "\"\(compressionText)\"", expected: Compression.Format.allCases.map(\.rawValue).joined(separator: ", "))
                }
                pack = PackSpec(tree: tree, output: output, compression: compression, devices: table["devices"]?.array?.compactMap(\.string) ?? [])
            }
            let sandbox = try fields.optionalString(section, "sandbox")
            if let sandbox, !ComponentSpec.sandboxModes.contains(sandbox) {
                throw BoardError.invalidValue(file: fields.file("sandbox", in: section), line: fields.line("sandbox", in: section), key: "\(section).sandbox", value: "\"\(sandbox)\"", expected: ComponentSpec.sandboxModes.joined(separator: ", "))
            }
            return ComponentSpec(name: componentName, builder: builder, inputs: inputs, env: env, pack: pack, sandbox: sandbox)
        }
        let tpm = try fields.optionalString("board", "tpm")
        if let tpm, !["2.0", "1.2", "none"].contains(tpm) {
            throw BoardError.invalidValue(file: fields.file("tpm", in: "board"), line: fields.line("tpm", in: "board"), key: "board.tpm", value: "\"\(tpm)\"", expected: "\"2.0\", \"1.2\" or \"none\" (the TPM the board's hardware has)")
        }
        var board = Board(
            name: name,
            description: try fields.optionalString("board", "description") ?? "",
            arch: try fields.optionalString("board", "arch") ?? "x86_64",
            chips: chips,
            descriptor: descriptor,
            writeProtect: writeProtect,
            buildEnvironment: buildEnvironment,
            sources: sources,
            components: components,
            rootUUID: try fields.optionalString("disk", "root_uuid"),
            os: os,
            slotBUUID: try fields.optionalString("disk", "slot_b_uuid"),
            stateUUID: try fields.optionalString("disk", "state_uuid"),
            directory: directory,
            protection: try fields.optionalString("board", "protection"))
        board.fallback = try fields.optionalString("board", "fallback")
        if root["chipset_protect"] != nil {
            board.chipsetProtect = try chipsetProtect(fields, directory: directory, flashSize: size)
        }
        board.tpm = tpm
        board.layers = layers
        board.profiles = chain.profiles
        return board
    }

    /// `[chipset_protect]`: its range lies in the flash and the Kconfig fragment it names holds
    /// every line it requires, so `ownerboot boards` never reports a lock the firmware lacks.
    func chipsetProtect(_ fields: FieldReader, directory: URL, flashSize: Int) throws -> ChipsetProtectSpec {
        let section = "chipset_protect"
        let mechanismText = try fields.string(section, "mechanism")
        guard let mechanism = ChipsetProtectSpec.Mechanism(rawValue: mechanismText) else {
            throw BoardError.invalidValue(file: fields.file("mechanism", in: section), line: fields.line("mechanism", in: section), key: "\(section).mechanism", value: "\"\(mechanismText)\"",
                                          expected: ChipsetProtectSpec.Mechanism.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let start = try fields.int(section, "start"), length = try fields.int(section, "length")
        if start < 0 || length <= 0 || start > flashSize - length {
            throw BoardError.invalidValue(file: fields.file("length", in: section), line: fields.line("length", in: section), key: section, value: String(format: "0x%X+0x%X", start, length), expected: "a range inside the \(flashSize)-byte flash")
        }
        let config = try fields.string(section, "config")
        let spec = ChipsetProtectSpec(mechanism: mechanism, start: start, length: length, config: config, requires: try fields.stringArray(section, "requires"))
        guard let url = layers.find(config, boardDirectory: directory)?.url, let fragment = try? String(contentsOf: url, encoding: .utf8) else {
            throw BoardError.missingFile(file: fields.file("config", in: section), line: fields.line("config", in: section), key: "\(section).config", path: config)
        }
        let missing = spec.missing(in: fragment)
        if !missing.isEmpty {
            throw BoardError.protectionNotConfigured(file: fields.file("requires", in: section), line: fields.line("requires", in: section), config: config, missing: missing)
        }
        return spec
    }
}
