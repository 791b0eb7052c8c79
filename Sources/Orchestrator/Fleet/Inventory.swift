import Foundation
import GRDB
import GRDBSQLite
import Support

/// The fleet inventory: devices, every flash event and every readback, in SQLite (WAL, so
/// readers never block the writer; a busy timeout, so two `ownerboot` processes recording at
/// once both succeed). The schema is migrated from its first version on.
public final class Inventory: Sendable {
    public let path: String
    private let pool: DatabasePool

    public init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        // Reads map the file instead of copying it page by page (`fleet list` scans it all).
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 268435456") }
        pool = try DatabasePool(path: path, configuration: configuration)
        try Self.migrator.migrate(pool)
    }

    /// The inventory of an ownerboot home (`$OWNERBOOT_HOME/inventory.sqlite`).
    public static func open(home: URL) throws -> Inventory {
        try Inventory(path: home.appendingPathComponent("inventory.sqlite").path)
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "device") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("name", .text).notNull().unique()
                t.column("board", .text).notNull().indexed()
                t.column("serial", .text)
                t.column("location", .text)
                t.column("notes", .text)
                t.column("createdAt", .datetime).notNull()
            }
            try db.create(table: "flashEvent") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .integer).notNull().references("device", onDelete: .cascade)
                t.column("time", .datetime).notNull()
                t.column("generation", .integer)
                t.column("setHash", .text)
                t.column("romHash", .text).notNull()
                t.column("readbackHash", .text)
                t.column("chip", .text).notNull()
                t.column("programmer", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("bytesWritten", .integer).notNull()
                t.column("backupReference", .text)
            }
            try db.create(index: "flashEvent_device_time", on: "flashEvent", columns: ["deviceId", "time"])
            try db.create(table: "readback") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("deviceId", .integer).references("device", onDelete: .cascade)
                t.column("time", .datetime).notNull()
                t.column("dumpHash", .text).notNull()
                t.column("identifiedAs", .text).notNull()
                t.column("generation", .integer)
                t.column("setHash", .text)
            }
        }
        migrator.registerMigration("v2") { db in
            // `fleet list` reads only these two indexes, never the tables: the flashes that
            // changed a chip in (device, time, id) order with what they wrote, and the
            // devices by name with their board.
            try db.execute(sql: "CREATE INDEX flashEvent_landed ON flashEvent(deviceId, time, id, generation, setHash, outcome) WHERE outcome IN ('success', 'restored')")
            try db.execute(sql: "CREATE INDEX device_listing ON device(name, board)")
        }
        // Named after what it adds, not only a number: work on other branches may add its own v3.
        migrator.registerMigration("v3-fallback-generation") { db in
            // Each flash records the generation of the chip's write-protected half; the
            // covering index gains it so `fleet list` still never reads the table. Earlier
            // events keep NULL (unknown): their ROMs are not read back here.
            try db.alter(table: "flashEvent") { t in t.add(column: "fallbackGeneration", .integer) }
            try db.execute(sql: "DROP INDEX flashEvent_landed")
            try db.execute(sql: "CREATE INDEX flashEvent_landed ON flashEvent(deviceId, time, id, generation, setHash, fallbackGeneration, outcome) WHERE outcome IN ('success', 'restored')")
        }
        migrator.registerMigration("v4-device-landed") { db in
            // `fleet list` reads one index: each device carries what its last landed flash
            // (by time, then id) wrote, kept by a trigger on every recorded or imported flash,
            // so the listing is one scan in name order instead of a scan of every flash too.
            try db.alter(table: "device") { t in
                t.add(column: "landedFlashId", .integer)
                t.add(column: "landedTime", .text)
                t.add(column: "landedGeneration", .integer)
                t.add(column: "landedSetHash", .text)
                t.add(column: "landedFallback", .integer)
            }
            try db.execute(sql: """
                UPDATE device SET (landedFlashId, landedTime, landedGeneration, landedSetHash, landedFallback) = (
                    SELECT id, strftime('%Y-%m-%dT%H:%M:%SZ', time), generation, setHash, fallbackGeneration
                    FROM flashEvent WHERE deviceId = device.id AND outcome IN ('success', 'restored')
                    ORDER BY time DESC, id DESC LIMIT 1);
                CREATE TRIGGER flashEvent_lands AFTER INSERT ON flashEvent
                WHEN NEW.outcome IN ('success', 'restored')
                BEGIN
                    UPDATE device SET landedFlashId = NEW.id, landedTime = strftime('%Y-%m-%dT%H:%M:%SZ', NEW.time),
                        landedGeneration = NEW.generation, landedSetHash = NEW.setHash, landedFallback = NEW.fallbackGeneration
                    WHERE id = NEW.deviceId AND NOT EXISTS (
                        SELECT 1 FROM flashEvent AS landed WHERE landed.id = device.landedFlashId
                        AND (landed.time > NEW.time OR (landed.time = NEW.time AND landed.id > NEW.id)));
                END;
                DROP INDEX flashEvent_landed;
                DROP INDEX device_listing;
                CREATE INDEX device_listing ON device(name, board, landedGeneration, landedSetHash, landedTime, landedFallback);
                """)
        }
        return migrator
    }

    // MARK: Devices

    @discardableResult
    public func addDevice(_ device: Device) throws -> Device {
        try pool.write { db in
            if try Device.filter(Column("name") == device.name).fetchCount(db) > 0 {
                throw InventoryError.deviceExists(name: device.name)
            }
            var device = device
            try device.insert(db)
            return device
        }
    }

    public func removeDevice(named name: String) throws {
        try pool.write { db in
            let deleted = try Device.filter(Column("name") == name).deleteAll(db)
            if deleted == 0 { throw try self.unknown(name, db) }
        }
    }

    public func devices() throws -> [Device] {
        try pool.read { db in try Device.order(Column("name")).fetchAll(db) }
    }

    public func device(named name: String) throws -> Device {
        try pool.read { db in
            guard let device = try Device.filter(Column("name") == name).fetchOne(db) else { throw try self.unknown(name, db) }
            return device
        }
    }

    private func unknown(_ name: String, _ db: Database) throws -> InventoryError {
        let names = try String.fetchAll(db, sql: "SELECT name FROM device")
        return .unknownDevice(name: name, suggestion: NearMiss.closest(to: name, in: names))
    }

    // MARK: Events

    @discardableResult
    public func recordFlash(device name: String, _ make: (Int64) -> FlashEvent) throws -> FlashEvent {
        try pool.write { db in
            guard let id = try Device.filter(Column("name") == name).fetchOne(db)?.id else { throw try self.unknown(name, db) }
            var event = make(id)
            try event.insert(db)
            return event
        }
    }

    @discardableResult
    public func recordReadback(_ readback: Readback) throws -> Readback {
        try pool.write { db in
            var readback = readback
            try readback.insert(db)
            return readback
        }
    }

    /// A device's flash events, oldest first.
    public func history(device name: String) throws -> (device: Device, flashes: [FlashEvent], readbacks: [Readback]) {
        let device = try self.device(named: name)
        return try pool.read { db in
            let flashes = try FlashEvent.filter(Column("deviceId") == device.id!).order(Column("time"), Column("id")).fetchAll(db)
            let readbacks = try Readback.filter(Column("deviceId") == device.id!).order(Column("time"), Column("id")).fetchAll(db)
            return (device, flashes, readbacks)
        }
    }

    // MARK: Status

    /// Every device with the generation on its chip (its last successful flash) against the
    /// latest built for its board, in name order, as values (`fleet list --json`, tests).
    public func statuses(generations: GenerationLookup) throws -> [FleetStatus] {
        var statuses: [FleetStatus] = []
        try forEachStatus(generations: generations) { row in
            statuses.append(FleetStatus(device: String(decoding: row.device, as: UTF8.self), board: row.board,
                                        generationOnChip: row.generationOnChip, latestGeneration: row.latestGeneration,
                                        lastFlashed: row.lastFlashed.map { String(decoding: $0, as: UTF8.self) },
                                        state: row.state, fallbackGenerationOnChip: row.fallbackGenerationOnChip))
        }
        return statuses
    }

    /// At least the number of devices, in one index step (COUNT(*) scans): the largest id
    /// ever given. Callers size buffers with it.
    public func deviceCountBound() throws -> Int {
        try pool.read { db in try Int.fetchOne(db, sql: "SELECT MAX(id) FROM device") ?? 0 }
    }

    /// The same listing handed over row by row, its texts still in SQLite's buffers: the
    /// table `fleet list` prints copies bytes once and makes no value per device. One scan of
    /// the `device_listing` index in name order: each device row carries its last landed
    /// flash (kept by the `flashEvent_lands` trigger, the time already ISO 8601 text), and
    /// boards and set hashes are looked up once per distinct value. Timed by `ownerboot bench
    /// fleet` (100,000 devices, release build).
    public func forEachStatus(generations: GenerationLookup, _ body: (FleetStatusRow) throws -> Void) throws {
        try pool.read { db in
            // Few boards and few generations: a short list compared by value beats hashing
            // the same strings 100,000 times.
            var setHashes = TextInterner()
            var boards = TextInterner()
            var latestByBoard: [(board: String, latest: Int?)] = []
            var known: [(board: String, setHash: String, generation: Int?)] = []
            let devices = try db.makeStatement(sql: Self.listingSQL)
            try Self.step(devices, in: db) { row in
                let board = Self.text(row, 1).map { boards.string(for: $0) } ?? ""
                let latest: Int?
                if let cached = latestByBoard.first(where: { $0.board == board }) { latest = cached.latest } else {
                    latest = generations.latest(board: board)?.number
                    latestByBoard.append((board, latest))
                }
                // A device never flashed has no landed time (the trigger always sets it).
                let time = Self.text(row, 4)
                var onChip: Int? = nil
                let state: FleetStatus.State
                if time != nil {
                    onChip = Self.integer(row, 2)
                    let generation: Int?
                    if let setHash = Self.text(row, 3).map({ setHashes.string(for: $0) }) {
                        if let cached = known.first(where: { $0.setHash == setHash && $0.board == board }) { generation = cached.generation } else {
                            generation = generations.generation(board: board, setHash: setHash)
                            known.append((board, setHash, generation))
                        }
                    } else {
                        generation = nil
                    }
                    if let generation {
                        onChip = generation
                        state = generation == latest ? .current : .outdated
                    } else {
                        state = .unknownFirmware
                    }
                } else {
                    state = .neverFlashed
                }
                try body(FleetStatusRow(device: Self.text(row, 0) ?? UnsafeRawBufferPointer(start: nil, count: 0), board: board,
                                        generationOnChip: onChip, latestGeneration: latest, lastFlashed: time,
                                        state: state, fallbackGenerationOnChip: time == nil ? nil : Self.integer(row, 5)))
            }
        }
    }

    /// The listing's one query: it reads only the `device_listing` index, never the table.
    static let listingSQL = """
        SELECT name, board, landedGeneration, landedSetHash, landedTime, landedFallback
        FROM device INDEXED BY device_listing ORDER BY name
        """

    /// Steps `statement` to its end, handing each row to `body`; an SQLite error becomes
    /// GRDB's `DatabaseError`, as GRDB's own cursors report it.
    private static func step(_ statement: Statement, in db: Database, _ body: (SQLiteStatement) throws -> Void) throws {
        let raw = statement.sqliteStatement
        defer { sqlite3_reset(raw) }
        while true {
            let code = sqlite3_step(raw)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: statement.sql)
            }
            try body(raw)
        }
    }

    /// An integer column; nil for NULL.
    private static func integer(_ row: SQLiteStatement, _ column: Int32) -> Int? {
        sqlite3_column_type(row, column) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(row, column))
    }

    /// A text column's bytes, valid until the next step; nil for NULL.
    private static func text(_ row: SQLiteStatement, _ column: Int32) -> UnsafeRawBufferPointer? {
        guard let bytes = sqlite3_column_text(row, column) else { return nil }
        return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(row, column)))
    }

    /// Makes each distinct text a String once: few distinct values, compared byte for byte.
    private struct TextInterner {
        var made: [(bytes: [UInt8], string: String)] = []
        mutating func string(for bytes: UnsafeRawBufferPointer) -> String {
            guard !bytes.isEmpty else { return "" }
            for kept in made where kept.bytes.count == bytes.count {
                let same = kept.bytes.withUnsafeBytes { memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }
                if same { return kept.string }
            }
            let string = String(decoding: bytes, as: UTF8.self)
            // Past 64 distinct values the list stops growing: a column of mostly unique texts
            // then costs a comparison per kept value, never an unbounded search.
            if made.count < 64 { made.append((Array(bytes), string)) }
            return string
        }
    }

    // MARK: Export / import

    /// The whole inventory as one JSON-encodable value.
    public struct Export: Codable, Sendable, Equatable {
        public var format: Int
        public var devices: [Device]
        public var flashes: [FlashEvent]
        public var readbacks: [Readback]
    }

    public func export() throws -> Export {
        try pool.read { db in
            Export(format: 1, devices: try Device.order(Column("id")).fetchAll(db),
                   flashes: try FlashEvent.order(Column("id")).fetchAll(db),
                   readbacks: try Readback.order(Column("id")).fetchAll(db))
        }
    }

    /// Merges an export: devices are matched by name (new ones added), and their events are
    /// added unless an identical event (same device, time and ROM hash) is already there.
    public func importExport(_ export: Export) throws {
        guard export.format == 1 else { throw InventoryError.badExport(file: "import", reason: "format \(export.format) is not 1") }
        try pool.write { db in
            var idMap: [Int64: Int64] = [:]
            for var device in export.devices {
                let oldID = device.id
                if let existing = try Device.filter(Column("name") == device.name).fetchOne(db) {
                    idMap[oldID ?? -1] = existing.id!
                } else {
                    device.id = nil
                    try device.insert(db)
                    idMap[oldID ?? -1] = device.id!
                }
            }
            for var flash in export.flashes {
                guard let deviceId = idMap[flash.deviceId] else { continue }
                let exists = try FlashEvent.filter(Column("deviceId") == deviceId && Column("time") == flash.time && Column("romHash") == flash.romHash).fetchCount(db) > 0
                if exists { continue }
                flash.id = nil
                flash.deviceId = deviceId
                try flash.insert(db)
            }
            for var readback in export.readbacks {
                readback.deviceId = readback.deviceId.flatMap { idMap[$0] }
                let exists = try Readback.filter(Column("time") == readback.time && Column("dumpHash") == readback.dumpHash).fetchCount(db) > 0
                if exists { continue }
                readback.id = nil
                try readback.insert(db)
            }
        }
    }

    /// Records many flash events in one transaction (benchmarks, bulk imports).
    public func recordFlashes(_ events: [FlashEvent]) throws {
        try pool.write { db in
            for var event in events { try event.insert(db) }
        }
    }

    /// Adds many devices in one transaction (imports, benchmarks).
    public func addDevices(_ devices: [Device]) throws {
        try pool.write { db in
            for var device in devices { try device.insert(db) }
        }
    }
}
