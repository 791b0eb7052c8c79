import Foundation

/// Where the file names a board and its profiles use (builders, inputs, profiles) are looked
/// up, after the board's own folder: the owner's recipe folders, then the recipes ownerboot
/// ships. The first folder holding a name wins, so an owner overrides one shipped file by
/// putting a file of the same name in their board's folder or their own recipe folder, and
/// never has to copy the rest.
public struct RecipeLayers: Sendable, Codable, Equatable {
    /// One folder of recipes and who it belongs to.
    public struct Layer: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable {
            /// The owner's own recipes (`recipes` in config.toml, `OWNERBOOT_RECIPES`, or a
            /// `recipes/` folder beside the boards folder).
            case owner
            /// The recipes installed with ownerboot (`<prefix>/share/ownerboot/recipes`, or a
            /// checkout's `recipes/`).
            case shipped
        }
        public var kind: Kind
        public var directory: URL

        public init(_ kind: Kind, _ directory: URL) {
            self.kind = kind
            self.directory = directory.standardizedFileURL
        }
    }

    /// In search order.
    public var layers: [Layer]

    public init(_ layers: [Layer] = []) {
        var seen = Set<String>()
        self.layers = layers.filter { seen.insert($0.directory.path).inserted }
    }

    /// No layer: every name is looked up in the board's folder only (a board snapshot, which
    /// holds its resolved recipes, is read this way).
    public static let none = RecipeLayers()

    /// The folder of recipes shipped beside the `ownerboot` binary: `<prefix>/share/ownerboot/recipes`
    /// for an installed one, else the `recipes/` of the checkout the binary (or test bundle) was
    /// built in; `OWNERBOOT_SHIPPED_RECIPES` overrides both.
    public static func shippedDirectory(environment: [String: String] = ProcessInfo.processInfo.environment,
                                        executable: URL? = Self.currentExecutable) -> URL? {
        if let path = environment["OWNERBOOT_SHIPPED_RECIPES"], !path.isEmpty { return URL(fileURLWithPath: path) }
        guard let executable else { return nil }
        let bin = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        let installed = bin.deletingLastPathComponent().appendingPathComponent("share/ownerboot/recipes")
        if isDirectory(installed.appendingPathComponent("profiles")) { return installed.standardizedFileURL }
        var dir = bin
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("recipes")
            if isDirectory(candidate.appendingPathComponent("profiles")), FileManager.default.fileExists(atPath: dir.appendingPathComponent("Package.swift").path) {
                return candidate.standardizedFileURL
            }
            dir = dir.deletingLastPathComponent()
        }
        return nil
    }

    /// The layers for boards kept in `boardsDirectory`: the owner's folders (`OWNERBOOT_RECIPES`,
    /// colon-separated; `recipes` in config.toml; a `recipes/` folder beside the boards folder),
    /// then the shipped recipes.
    public static func locate(boardsDirectory: URL?, config: OwnerbootConfig? = nil,
                              environment: [String: String] = ProcessInfo.processInfo.environment,
                              executable: URL? = Self.currentExecutable) -> RecipeLayers {
        let shipped = shippedDirectory(environment: environment, executable: executable)
        var owner: [URL] = []
        if let paths = environment["OWNERBOOT_RECIPES"] {
            owner += paths.split(separator: ":").filter { !$0.isEmpty }.map { URL(fileURLWithPath: String($0)) }
        }
        owner += config?.recipes ?? []
        if let boardsDirectory {
            let beside = boardsDirectory.standardizedFileURL.deletingLastPathComponent().appendingPathComponent("recipes")
            if isDirectory(beside) { owner.append(beside) }
        }
        let shippedPath = shipped?.resolvingSymlinksInPath().path
        var layers = owner.filter { $0.resolvingSymlinksInPath().path != shippedPath }.map { Layer(.owner, $0) }
        if let shipped { layers.append(Layer(.shipped, shipped)) }
        return RecipeLayers(layers)
    }

    /// The running binary (an installed `ownerboot`, or the test bundle in `.build`).
    public static var currentExecutable: URL? {
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return URL(fileURLWithPath: path) }
        return Bundle.main.executableURL
    }

    /// Where `name` is found: the board's folder first, then each layer in order; nil when
    /// none holds it.
    public func find(_ name: String, boardDirectory: URL) -> ResolvedFile? {
        guard ResolvedFile.isRelativeName(name) else { return nil }
        let local = boardDirectory.appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: local.path) { return ResolvedFile(name: name, url: local, origin: .board) }
        for layer in layers {
            let url = layer.directory.appendingPathComponent(name)
            if FileManager.default.fileExists(atPath: url.path) { return ResolvedFile(name: name, url: url, origin: .layer(layer)) }
        }
        return nil
    }

    static func isDirectory(_ url: URL) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &flag) && flag.boolValue
    }
}
