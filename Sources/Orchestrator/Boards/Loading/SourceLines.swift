import Boot
import Foundation
import Support
import TOMLKit

/// Line lookups in a TOML file's text: TOMLKit reports positions only for syntax errors,
/// so keys are found by scanning the source for `[section]` and `key =`.
struct SourceLines {
    let lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
    }

    /// The line of the `index`th `[[name]]` header.
    func lineOfArrayTable(_ name: String, index: Int = 0) -> Int? {
        let hits = lines.indices.filter { lines[$0].trimmingCharacters(in: .whitespaces).hasPrefix("[[\(name)]]") }
        return index < hits.count ? hits[index] + 1 : hits.first.map { $0 + 1 }
    }

    /// The line of `key = …` inside the `index`th `[[name]]` table (its header when absent).
    func lineOfKey(_ key: String, inArrayTable name: String, index: Int) -> Int? {
        guard let header = lineOfArrayTable(name, index: index) else { return nil }
        for i in header..<lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") { break }
            if let eq = line.firstIndex(of: "="), line[..<eq].trimmingCharacters(in: .whitespaces) == key { return i + 1 }
        }
        return header
    }

    func lineOfTable(_ name: String) -> Int? {
        lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("[\(name)]") }.map { $0 + 1 }
    }

    /// The line of `key = …` inside `[section]` (or at the top level when section is nil).
    func lineOfKey(_ key: String, in section: String?) -> Int? {
        var current: String?
        for (index, raw) in lines.enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") {
                current = line.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                continue
            }
            guard current == section else { continue }
            if let eq = line.firstIndex(of: "="), line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == key {
                return index + 1
            }
        }
        return nil
    }
}
