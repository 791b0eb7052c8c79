import Foundation
import GRDB
import GRDBSQLite
import Support

/// The fleet inventory: devices, every flash event and every readback, in SQLite (WAL, so
/// readers never block the writer; a busy timeout, so two `ownerboot` processes recording at
/// once both succeed). The schema is migrated from its first version on.
public final class Inventory: Sendable {
    public let path: String
    let pool: DatabasePool

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

}
