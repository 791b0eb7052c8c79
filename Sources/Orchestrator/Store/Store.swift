import Foundation
import GRDB
import Support

/// The content-addressed store: `<home>/store/<hash>-<name>/` per output, an SQLite index
/// (`<home>/store.sqlite`: outputs, generations) and build logs. An output appears only
/// complete (built in `<home>/store/.tmp` and renamed into place); a per-derivation file lock
/// lets two `ownerboot` processes share one store without building the same thing twice.
public final class Store: Sendable {
    public let home: URL
    public let root: URL
    let pool: DatabasePool

    /// One recorded output.
    public struct Output: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
        public static let databaseTableName = "output"
        public var hash: String
        public var name: String
        public var kind: String
        public var contentHash: String
        public var size: Int64
        public var buildSeconds: Double
        public var log: String?
        public var createdAt: Date
    }

    public init(home: URL = OwnerbootHome.url()) throws {
        self.home = home
        root = home.appendingPathComponent("store")
        // Builds run in .tmp: only the owner may enter it, so no other user on the host can
        // reach a half-built output (or a builder's /build) before it is checked.
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".tmp"), withIntermediateDirectories: true)
        _ = chmod(root.appendingPathComponent(".tmp").path, 0o700)
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".locks"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home.appendingPathComponent("logs"), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        pool = try DatabasePool(path: home.appendingPathComponent("store.sqlite").path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    public func path(of derivation: Derivation) -> URL { root.appendingPathComponent(derivation.storeName) }
    public func path(hash: String, name: String) -> URL { root.appendingPathComponent("\(hash)-\(name)") }
    public func logPath(of derivation: Derivation) -> URL { home.appendingPathComponent("logs/\(derivation.storeName).log") }

    /// Whether the output exists and is recorded (a folder without a record is debris).
    public func contains(_ derivation: Derivation) -> Bool {
        let recorded = (try? pool.read { db in try Output.fetchOne(db, key: derivation.hash) }) != nil
        return recorded && FileManager.default.fileExists(atPath: path(of: derivation).path)
    }

    public func output(hash: String) throws -> Output? {
        try pool.read { db in try Output.fetchOne(db, key: hash) }
    }

    public func outputs() throws -> [Output] {
        try pool.read { db in try Output.order(Column("name")).fetchAll(db) }
    }

    /// How long the most recent build of an output named `name` took (any board, any hash):
    /// the estimate shown while the same component builds again. Nil when never built.
    public func lastBuildSeconds(name: String) -> Double? {
        try? pool.read { db in
            try Double.fetchOne(db, sql: "SELECT buildSeconds FROM output WHERE name = ? AND buildSeconds > 0 ORDER BY createdAt DESC LIMIT 1", arguments: [name])
        }
    }

    /// A fresh temporary folder inside the store (same file system, so `install` is a rename).
    public func temporaryDirectory(for derivation: Derivation) throws -> URL {
        let url = root.appendingPathComponent(".tmp/\(derivation.storeName)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Moves a finished output into place and records it; the rename is the commit point.
    public func install(_ built: URL, as derivation: Derivation, seconds: Double, log: URL?) throws {
        let target = path(of: derivation)
        let contentHash = try TreeHash.hash(of: built)
        let size = TreeHash.size(of: built)
        if FileManager.default.fileExists(atPath: target.path) {
            // Debris from an interrupted run that never got recorded: replace it.
            try FileManager.default.removeItem(at: target)
        }
        try FileManager.default.moveItem(at: built, to: target)
        try pool.write { db in
            try Output(hash: derivation.hash, name: derivation.name, kind: derivation.kind.rawValue, contentHash: contentHash,
                       size: size, buildSeconds: seconds, log: log?.path, createdAt: Date()).save(db)
        }
    }

    /// Runs `body` holding the derivation's lock, so one process builds it while others wait.
    public func withLock<T>(_ derivation: Derivation, _ body: () throws -> T) throws -> T {
        let lockPath = root.appendingPathComponent(".locks/\(derivation.hash).lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw StoreError.lockFailed(path: lockPath) }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw StoreError.lockFailed(path: lockPath) }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
