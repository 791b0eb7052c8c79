import Foundation
import Support

/// `boards/<name>/ownerboot.lock`: every package of the build environment pinned by name,
/// version and .deb SHA-256, and every source file by SHA-256. Builds use only what it pins.
/// `request` is the hash of what the board asked for when it was locked, so a board file that
/// changed since says so ("stale lock") instead of building something else.
public struct LockFile: Codable, Sendable, Equatable {
    public struct Package: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var architecture: String
        public var sha256: String?

        /// `name=version` (what apt-get and error messages use).
        public var pin: String { "\(name)=\(version)" }

        /// The file name apt gives the .deb (an epoch's `:` written `%3a`).
        public var debFileName: String {
            "\(name)_\(version.replacingOccurrences(of: ":", with: "%3a"))_\(architecture).deb"
        }

        /// The package's store entry: one .deb, fixed by the SHA-256 the lock pins (nil when
        /// the lock predates .deb hashes).
        public var derivation: Derivation? {
            guard let sha256 else { return nil }
            return Derivation(name: "deb-" + String(debFileName.dropLast(4)), kind: .package, fixedOutput: sha256)
        }
    }

    public struct BuildEnvironment: Codable, Sendable, Equatable {
        public var suite: String
        public var mirror: String
        public var variant: String
        public var packages: [Package]
        /// Debian's signed metadata the pins were read from (nil in a lock written before
        /// ownerboot kept it: such a lock must be re-locked before its .debs are used).
        public var archive: Archive? = nil

        public init(suite: String, mirror: String, variant: String, packages: [Package], archive: Archive? = nil) {
            self.suite = suite
            self.mirror = mirror
            self.variant = variant
            self.packages = packages
            self.archive = archive
        }
    }

    /// The suite's `InRelease` (signed by the Debian archive keys) and the `Packages` indexes
    /// it lists that the pins come from, kept in the store as one fixed-output entry
    /// (`<hash>-debian-archive`: `InRelease` and each index at its path) and carried in
    /// bundles. Every .deb is checked against it (`ArchiveIndex`) before it is used.
    public struct Archive: Codable, Sendable, Equatable {
        /// SHA-256 of the InRelease file as the mirror served it when the lock was written.
        public var inRelease: String
        /// The index files read, as InRelease names them (`main/binary-amd64/Packages.xz`).
        public var indexes: [String]

        public init(inRelease: String, indexes: [String]) {
            self.inRelease = inRelease
            self.indexes = indexes
        }

        /// The metadata's store entry, fixed by the InRelease hash and the index paths (the
        /// InRelease fixes each index's hash).
        public var derivation: Derivation {
            Derivation(name: "debian-archive", kind: .archive, fixedOutput: SHA256Digest.hex(Array(([inRelease] + indexes).joined(separator: "\n").utf8)))
        }
    }

    public struct SourceFile: Codable, Sendable, Equatable {
        public var name: String
        public var sha256: String
    }

    public struct Source: Codable, Sendable, Equatable {
        public var kind: SourceSpec.Kind
        public var package: String
        public var version: String
        public var files: [SourceFile]
    }

    public var format: Int = 1
    public var board: String
    public var request: String
    public var buildenv: BuildEnvironment?
    /// The OS image's package closure (`[os]`), pinned like the build environment's.
    public var os: BuildEnvironment? = nil
    public var sources: [String: Source]

    /// The archive metadata entries the build environment and the OS need, each once.
    public var archives: [Archive] {
        var seen: Set<String> = []
        return [buildenv?.archive, os?.archive].compactMap { $0 }.filter { seen.insert($0.derivation.hash).inserted }
    }

    /// Every pinned .deb (build environment and OS), each once.
    public var allPackages: [Package] {
        var seen: Set<String> = []
        return ((buildenv?.packages ?? []) + (os?.packages ?? [])).filter { seen.insert("\($0.pin) \($0.architecture) \($0.sha256 ?? "-")").inserted }
    }

    public init(board: String, request: String, buildenv: BuildEnvironment?, os: BuildEnvironment? = nil, sources: [String: Source]) {
        self.board = board
        self.request = request
        self.buildenv = buildenv
        self.os = os
        self.sources = sources
    }

    /// What the board asks for, hashed: the build environment spec and the source specs.
    public static func requestHash(for board: Board) -> String {
        struct Request: Encodable {
            let buildenv: BuildEnvironmentSpec?
            let sources: [SourceSpec]
            /// Absent for boards without `[os]`, so their request hash (and lock) is unchanged.
            let os: [String]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(Request(buildenv: board.buildEnvironment, sources: board.sources, os: board.os?.request))) ?? Data()
        return SHA256Digest.hex(data)
    }

    public static func load(for board: Board) throws -> LockFile {
        let url = board.lockFile
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LockError.missing(board: board.name, path: url.path)
        }
        let lock: LockFile
        do { lock = try JSONDecoder().decode(LockFile.self, from: data) } catch {
            throw LockError.unreadable(path: url.path, reason: "\(error)")
        }
        if lock.request != requestHash(for: board) {
            throw LockError.stale(board: board.name, path: url.path)
        }
        return lock
    }

    /// Sorted, pretty JSON with a trailing newline: stable in git diffs.
    public func write(to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        try data.write(to: url, options: .atomic)
    }

    /// The hash that fixes a source's output: its lock entry.
    public func sourceHash(_ name: String) -> String? {
        guard let source = sources[name] else { return nil }
        let text = ([source.kind.rawValue, source.package, source.version] + source.files.map { "\($0.name) \($0.sha256)" }).joined(separator: "\n")
        return SHA256Digest.hex(Array(text.utf8))
    }

    /// A source's store entry (nil when the lock does not pin it).
    public func sourceDerivation(_ name: String) -> Derivation? {
        sourceHash(name).map { Derivation(name: "source-\(name)", kind: .source, fixedOutput: $0) }
    }

    /// Reads a lock file as it is, without comparing it to a board (a snapshot's or a
    /// bundle's lock, which is checked by the hashes it leads to instead).
    public static func read(_ url: URL) throws -> LockFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LockError.unreadable(path: url.path, reason: "no such file")
        }
        do { return try JSONDecoder().decode(LockFile.self, from: data) } catch {
            throw LockError.unreadable(path: url.path, reason: "\(error)")
        }
    }

    /// The hash that fixes the build environment: suite, mirror, variant, pinned packages.
    public var buildEnvironmentHash: String? { buildenv.map(Self.packageSetHash) }

    /// The hash that fixes the OS's local repository (the same encoding over its closure).
    public var osPackagesHash: String? { os.map(Self.packageSetHash) }

    static func packageSetHash(_ env: BuildEnvironment) -> String {
        let text = ([env.suite, env.mirror, env.variant] + env.packages.map { "\($0.name)=\($0.version) \($0.architecture) \($0.sha256 ?? "-")" }).joined(separator: "\n")
        return SHA256Digest.hex(Array(text.utf8))
    }
}
