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
    /// latest built for its board. Two scans in one read transaction, however many devices:
    /// the landed flashes in the `flashEvent_landed` index's order (device, time, id), so the
    /// last one seen per device is its latest, kept in an array indexed by device id (no
    /// hashing), then the devices by name. SQLite writes the time as ISO 8601 text; boards
    /// and set hashes are looked up once per distinct value. 100,000 devices take well under
    /// 100 ms of CPU in a release build (`ownerboot bench fleet`).
    public func statuses(generations: GenerationLookup) throws -> [FleetStatus] {
        try pool.read { db in
            typealias Landed = (generation: Int?, setHash: String?, time: String, fallback: Int?)
            let maxID = try Int.fetchOne(db, sql: "SELECT MAX(id) FROM device") ?? 0
            var landed = [Landed?](repeating: nil, count: maxID + 1)
            // Both scans step SQLite's statements directly: GRDB's Row checks each column's
            // type and boxes it, which cost more than the scan itself at 100,000 rows.
            // Repeated texts (set hashes, boards: a handful of distinct values) are compared
            // as bytes against the ones already made, so each becomes a String once.
            var setHashes = TextInterner()
            let flashes = try db.makeStatement(sql: """
                SELECT deviceId, generation, setHash, time, fallbackGeneration
                FROM flashEvent INDEXED BY flashEvent_landed
                WHERE outcome IN ('success', 'restored') ORDER BY deviceId, time, id
                """)
            try Self.step(flashes, in: db) { row in
                let deviceID = Int(sqlite3_column_int64(row, 0))
                guard deviceID >= 0, deviceID <= maxID else { return }
                let generation = sqlite3_column_type(row, 1) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(row, 1))
                let setHash = Self.text(row, 2).map { setHashes.string(for: $0) }
                // The time goes from SQLite's text to the ISO 8601 string in one copy.
                let time = Self.text(row, 3).map(Self.iso8601) ?? ""
                let fallback = sqlite3_column_type(row, 4) == SQLITE_NULL ? nil : Int(sqlite3_column_int64(row, 4))
                landed[deviceID] = (generation, setHash, time, fallback)
            }
            // Few boards and few generations: a short list compared by value beats hashing
            // the same strings 100,000 times.
            var boards = TextInterner()
            var latestByBoard: [(board: String, latest: Int?)] = []
            var known: [(board: String, setHash: String, generation: Int?)] = []
            var statuses: [FleetStatus] = []
            statuses.reserveCapacity(try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM device") ?? 0)
            let devices = try db.makeStatement(sql: "SELECT id, name, board FROM device INDEXED BY device_listing ORDER BY name")
            try Self.step(devices, in: db) { row in
                let deviceID = Int(sqlite3_column_int64(row, 0))
                let name = Self.text(row, 1).map { String(decoding: $0, as: UTF8.self) } ?? ""
                let board = Self.text(row, 2).map { boards.string(for: $0) } ?? ""
                let latest: Int?
                if let cached = latestByBoard.first(where: { $0.board == board }) { latest = cached.latest } else {
                    latest = generations.latest(board: board)?.number
                    latestByBoard.append((board, latest))
                }
                let flash = deviceID >= 0 && deviceID <= maxID ? landed[deviceID] : nil
                var onChip = flash?.generation
                let state: FleetStatus.State
                if let flash {
                    let generation: Int?
                    if let setHash = flash.setHash {
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
                statuses.append(FleetStatus(device: name, board: board, generationOnChip: onChip, latestGeneration: latest,
                                            lastFlashed: flash?.time, state: state, fallbackGenerationOnChip: flash?.fallback))
            }
            return statuses
        }
    }

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

    /// A text column's bytes, valid until the next step; nil for NULL.
    private static func text(_ row: SQLiteStatement, _ column: Int32) -> UnsafeRawBufferPointer? {
        guard let bytes = sqlite3_column_text(row, column) else { return nil }
        return UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(row, column)))
    }

    /// Makes each distinct text a String once: few distinct values, compared byte for byte.
    private struct TextInterner {
        var made: [(bytes: [UInt8], string: String)] = []
        mutating func string(for bytes: UnsafeRawBufferPointer) -> String {
            if let hit = made.first(where: { $0.bytes.elementsEqual(bytes) }) { return hit.string }
            let string = String(decoding: bytes, as: UTF8.self)
            // Past 64 distinct values the list stops growing: a column of mostly unique texts
            // then costs a comparison per kept value, never an unbounded search.
            if made.count < 64 { made.append((Array(bytes), string)) }
            return string
        }
    }

    /// A stored time's text as ISO 8601: a GRDB date ("2026-11-29 11:00:01.234", UTC) is
    /// rewritten byte by byte into a new string ("2026-11-29T11:00:01Z"), anything else is
    /// parsed the slow way.
    static func iso8601(_ text: Data) -> String {
        text.withUnsafeBytes { iso8601($0) }
    }

    static func iso8601(_ raw: UnsafeRawBufferPointer) -> String {
        let rewritten: String? = {
            guard raw.count >= 19, raw[4] == UInt8(ascii: "-"), raw[10] == UInt8(ascii: " "), raw[13] == UInt8(ascii: ":") else { return nil }
            return String(unsafeUninitializedCapacity: 20) { out in
                for i in 0..<19 { out[i] = raw[i] }
                out[10] = UInt8(ascii: "T")
                out[19] = UInt8(ascii: "Z")
                return 20
            }
        }()
        return rewritten ?? iso8601(String(decoding: raw, as: UTF8.self))
    }

    static func iso8601(_ stored: String) -> String {
        var bytes = Array(stored.utf8.prefix(19))
        if bytes.count == 19, bytes[4] == UInt8(ascii: "-"), bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":") {
            bytes[10] = UInt8(ascii: "T")
            bytes.append(UInt8(ascii: "Z"))
            return String(decoding: bytes, as: UTF8.self)
        }
        guard let date = Date.fromDatabaseValue(stored.databaseValue) else { return stored }
        return ISO8601DateFormatter().string(from: date)
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
