import Foundation
import GRDB
import GRDBSQLite
import Support

/// Where each device stands: `fleet list`, as values or streamed row by row.
extension Inventory {
    /// Every device with the generation on its chip (its last successful flash) against the
    /// latest built for its board, in name order, as values (`fleet list --json`, tests).
    public func statuses(generations: GenerationLookup) throws -> [FleetStatus] {
        var statuses: [FleetStatus] = []
        try forEachStatus(generations: generations) { row in
            statuses.append(FleetStatus(device: String(decoding: row.device, as: UTF8.self), board: row.board,
                                        generationOnChip: row.generationOnChip, latestGeneration: row.latestGeneration,
                                        lastFlashed: row.lastFlashed.map { String(decoding: $0, as: UTF8.self) },
                                        state: row.state, fallbackGenerationOnChip: row.fallbackGenerationOnChip,
                                        lastAttestation: row.lastAttestation))
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
            // Few devices attest (one row each here); the rest cost a failed lookup by id.
            let attested = try self.lastAttestations(db)
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
                                        state: state, fallbackGenerationOnChip: time == nil ? nil : Self.integer(row, 5),
                                        lastAttestation: attested.isEmpty ? nil : attested[sqlite3_column_int64(row, 6)].map(FleetStatus.LastAttestation.init)))
            }
        }
    }

    /// The listing's one query: it reads only the `device_listing` index, never the table.
    static let listingSQL = """
        SELECT name, board, landedGeneration, landedSetHash, landedTime, landedFallback, id
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
}
