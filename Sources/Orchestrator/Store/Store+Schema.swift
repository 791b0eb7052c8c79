import Foundation
import GRDB
import Support

/// The SQLite index's tables, migrated in order when a store is opened.
extension Store {
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
}
