import Foundation
import GRDB
import Support

/// A board's recorded generations: numbered sets, each naming its components' outputs.
extension Store {
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
}
