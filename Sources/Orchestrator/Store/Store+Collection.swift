import Foundation
import GRDB
import Support

/// Checking the outputs against their hashes and removing what no generation keeps.
extension Store {
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

    /// Removes one output and its record (an input a builder changed): the next build fetches
    /// or rebuilds it instead of serving the changed one.
    public func discard(hash: String, name: String) throws {
        let url = path(hash: hash, name: name)
        try? makeWritable(url)
        try? FileManager.default.removeItem(at: url)
        _ = try pool.write { db in try Output.deleteOne(db, key: hash) }
    }

    func makeWritable(_ url: URL) throws {
        _ = try ProcessRunner().run("chmod", ["-R", "u+w", url.path])
    }
}
