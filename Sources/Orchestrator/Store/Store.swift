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
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".tmp"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".locks"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home.appendingPathComponent("logs"), withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(60)
        pool = try DatabasePool(path: home.appendingPathComponent("store.sqlite").path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "output") { t in
                t.primaryKey("hash", .text)
                t.column("name", .text).notNull()
                t.column("kind", .text).notNull()
                t.column("contentHash", .text).notNull()
                t.column("size", .integer).notNull()
                t.column("buildSeconds", .double).notNull()
                t.column("log", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "generation") { t in
                t.column("board", .text).notNull()
                t.column("number", .integer).notNull()
                t.column("setHash", .text).notNull()
                t.column("components", .text).notNull()
                t.column("derivations", .text).notNull()
                t.column("createdAt", .datetime).notNull()
                t.primaryKey(["board", "number"])
            }
        }
        migrator.registerMigration("v2") { db in
            // The board folder each generation was built from, so it can be rebuilt.
            try db.alter(table: "generation") { t in t.add(column: "boardSnapshot", .text) }
        }
        // Named after what it adds, not only a number: work on other branches may add its own v3.
        migrator.registerMigration("v3-promotion") { db in
            // The generation promoted to each board's write-protected half (`ownerboot promote`)
            // and the ROM that was written: later builds keep that ROM's protected half.
            try db.create(table: "promotion") { t in
                t.primaryKey("board", .text)
                t.column("generation", .integer).notNull()
                t.column("romHash", .text).notNull()
                t.column("time", .datetime).notNull()
            }
        }
        return migrator
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

    // MARK: Generations

    /// A board's recorded generation: its set hash and what each component's output is.
    public struct Generation: Codable, Sendable, Equatable {
        public var board: String
        public var number: Int
        public var setHash: String
        /// component name → derivation hash
        public var components: [String: String]
        /// every derivation hash of the set (build environment and sources too), for gc
        public var derivations: [String]
        public var createdAt: Date
        /// The store name of the board folder it was built from (nil for records before v2).
        public var boardSnapshot: String?
    }

    public func generations(board: String) throws -> [Generation] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM generation WHERE board = ? ORDER BY number", arguments: [board]).map(Self.generation)
        }
    }

    public func allGenerations() throws -> [Generation] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM generation ORDER BY board, number").map(Self.generation)
        }
    }

    static func generation(_ row: Row) throws -> Generation {
        let decoder = JSONDecoder()
        return Generation(
            board: row["board"], number: row["number"], setHash: row["setHash"],
            components: try decoder.decode([String: String].self, from: Data((row["components"] as String).utf8)),
            derivations: try decoder.decode([String].self, from: Data((row["derivations"] as String).utf8)),
            createdAt: row["createdAt"], boardSnapshot: row["boardSnapshot"])
    }

    /// The generation number a set hash has, or the one it would get if built now.
    public func generationNumber(board: String, setHash: String) throws -> (number: Int, isNew: Bool) {
        try pool.read { db in
            if let existing = try Int.fetchOne(db, sql: "SELECT number FROM generation WHERE board = ? AND setHash = ?", arguments: [board, setHash]) {
                return (existing, false)
            }
            let last = try Int.fetchOne(db, sql: "SELECT MAX(number) FROM generation WHERE board = ?", arguments: [board]) ?? 0
            return (last + 1, true)
        }
    }

    /// Records a generation unless its set hash already has one; returns its number. A set
    /// built again with another ROM (its protected half kept from another fallback: the set
    /// hash leaves the fallback out, docs/reference/derivation-hash.md) records that ROM as the
    /// generation's, and keeps the earlier ROM's derivations live too (devices may carry it).
    @discardableResult
    public func recordGeneration(board: String, setHash: String, components: [String: String], derivations: [String], boardSnapshot: String? = nil) throws -> Int {
        try pool.write { db in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let row = try Row.fetchOne(db, sql: "SELECT * FROM generation WHERE board = ? AND setHash = ?", arguments: [board, setHash]) {
                let existing = try Self.generation(row)
                // Generations recorded before snapshots existed get one when built again.
                try db.execute(sql: "UPDATE generation SET boardSnapshot = ? WHERE board = ? AND number = ? AND boardSnapshot IS NULL", arguments: [boardSnapshot, board, existing.number])
                if existing.components != components {
                    let live = Set(existing.derivations).union(derivations).sorted()
                    try db.execute(sql: "UPDATE generation SET components = ?, derivations = ? WHERE board = ? AND number = ?",
                                   arguments: [String(decoding: try encoder.encode(components), as: UTF8.self),
                                               String(decoding: try encoder.encode(live), as: UTF8.self), board, existing.number])
                }
                return existing.number
            }
            let number = (try Int.fetchOne(db, sql: "SELECT MAX(number) FROM generation WHERE board = ?", arguments: [board]) ?? 0) + 1
            try db.execute(
                sql: "INSERT INTO generation (board, number, setHash, components, derivations, createdAt, boardSnapshot) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [board, number, setHash, String(decoding: try encoder.encode(components), as: UTF8.self),
                            String(decoding: try encoder.encode(derivations.sorted()), as: UTF8.self), Date(), boardSnapshot])
            return number
        }
    }

    /// Why a generation record from elsewhere (an imported bundle) cannot be recorded as it is,
    /// or nil when it can (it is new, or already recorded identically).
    public func importConflict(_ generation: Generation) throws -> StoreError? {
        try pool.read { db in
            if let set = try String.fetchOne(db, sql: "SELECT setHash FROM generation WHERE board = ? AND number = ?", arguments: [generation.board, generation.number]),
               set != generation.setHash {
                return .generationConflict(board: generation.board, number: generation.number, recorded: set, importing: generation.setHash)
            }
            if let number = try Int.fetchOne(db, sql: "SELECT number FROM generation WHERE board = ? AND setHash = ?", arguments: [generation.board, generation.setHash]),
               number != generation.number {
                return .generationNumbered(board: generation.board, setHash: generation.setHash, recorded: number, importing: generation.number)
            }
            return nil
        }
    }

    /// Records a generation under the number it was given elsewhere, so a rebuild embeds the
    /// same number in its ROM (and so hashes the same). Refuses a number or set hash this store
    /// already uses differently; an identical record is left as it is.
    public func recordImportedGeneration(_ generation: Generation) throws {
        if let conflict = try importConflict(generation) { throw conflict }
        try pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT number FROM generation WHERE board = ? AND number = ?", arguments: [generation.board, generation.number]) != nil {
                try db.execute(sql: "UPDATE generation SET boardSnapshot = ? WHERE board = ? AND number = ? AND boardSnapshot IS NULL",
                               arguments: [generation.boardSnapshot, generation.board, generation.number])
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try db.execute(
                sql: "INSERT INTO generation (board, number, setHash, components, derivations, createdAt, boardSnapshot) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [generation.board, generation.number, generation.setHash, String(decoding: try encoder.encode(generation.components), as: UTF8.self),
                            String(decoding: try encoder.encode(generation.derivations.sorted()), as: UTF8.self), generation.createdAt, generation.boardSnapshot])
        }
    }

    // MARK: Verify and collect

    public struct Corruption: Codable, Sendable, Equatable {
        public var output: String
        public var expected: String
        public var actual: String?
    }

    /// Re-hashes every recorded output; returns the ones that changed or vanished.
    public func verify(progress: (String) -> Void = { _ in }) throws -> [Corruption] {
        try outputs().compactMap { output in
            progress(output.name)
            let url = path(hash: output.hash, name: output.name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                return Corruption(output: url.lastPathComponent, expected: output.contentHash, actual: nil)
            }
            let actual = try TreeHash.hash(of: url)
            return actual == output.contentHash ? nil : Corruption(output: url.lastPathComponent, expected: output.contentHash, actual: actual)
        }
    }

    /// Removes every output no recorded generation refers to (and none of `keeping` names:
    /// what the generations' locks pin, see `GenerationInputs`), and temporary debris.
    public func collectGarbage(keeping extra: Set<String> = []) throws -> (removed: [String], freedBytes: Int64) {
        // A promoted ROM is what later builds keep the protected half of: it stays.
        let promoted = try pool.read { db in try String.fetchAll(db, sql: "SELECT romHash FROM promotion") }
        let live = Set(try allGenerations().flatMap(\.derivations)).union(extra).union(promoted)
        var removed: [String] = []
        var freed: Int64 = 0
        for output in try outputs() where !live.contains(output.hash) {
            let url = path(hash: output.hash, name: output.name)
            try? makeWritable(url)
            try? FileManager.default.removeItem(at: url)
            _ = try pool.write { db in try Output.deleteOne(db, key: output.hash) }
            removed.append(url.lastPathComponent)
            freed += output.size
        }
        let tmp = root.appendingPathComponent(".tmp")
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: tmp.path)) ?? [] {
            let url = tmp.appendingPathComponent(entry)
            try? makeWritable(url)
            try? FileManager.default.removeItem(at: url)
        }
        return (removed, freed)
    }

    func makeWritable(_ url: URL) throws {
        _ = try ProcessRunner().run("chmod", ["-R", "u+w", url.path])
    }
}
