import Foundation
import Support
import TOMLKit

/// A board file and the profiles it includes (`[board] profile`, then each profile's
/// `[profile] extends`), each read and checked on its own so an error names the file and line
/// that wrote the key, then merged into the one table the board is read from: tables merge key
/// by key, and a string, number or array in a more specific file replaces the less specific one.
struct BoardSources {
    /// One TOML file of the chain.
    struct Source {
        let path: String
        let lines: SourceLines
        let table: TOMLTable

        /// Whether this file sets `key` in `section` ("components.firmware"; nil: the top level).
        func defines(_ key: String, in section: String?) -> Bool {
            var table: TOMLTable? = self.table
            for part in (section ?? "").split(separator: ".") { table = table?[String(part)]?.table }
            return table?[key] != nil
        }
    }

    /// The board file first, then its profile, then what that profile extends.
    let sources: [Source]
    /// The profiles, in the same order, as the layers resolved them.
    let profiles: [ResolvedFile]
    /// Everything merged.
    let merged: TOMLTable

    /// A profile chain longer than this is a mistake (and a bound on the work a board file asks for).
    static let maximumDepth = 8

    /// Sections and keys a profile may set: everything but `[board]` (a board's name and what
    /// its owner says of it), plus `[profile]` itself. A machine profile (qemu-i440fx) holds
    /// the chip and its protection too.
    static let profileSections: [String: Set<String>] = {
        var sections = BoardLoader.sections
        sections["board"] = nil
        sections["profile"] = ["description", "extends"]
        return sections
    }()

    static func parse(_ text: String, path: String) throws -> Source {
        do { return Source(path: path, lines: SourceLines(text), table: try TOMLTable(string: text)) } catch let error as TOMLParseError {
            throw BoardError.syntax(file: path, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        }
    }

    /// Reads the chain that `board` (already parsed and checked) includes.
    static func load(board: Source, boardDirectory: URL, layers: RecipeLayers) throws -> BoardSources {
        var sources = [board]
        var profiles: [ResolvedFile] = []
        var name = board.table["board"]?.table?["profile"]
        var asker = (source: board, key: "profile", section: "board")
        while let value = name {
            guard let profile = value.string, !profile.isEmpty, ResolvedFile.isRelativeName(profile), !profile.contains("/") else {
                throw BoardError.wrongType(file: asker.source.path, line: asker.source.lines.lineOfKey(asker.key, in: asker.section), key: "\(asker.section).\(asker.key)",
                                           expected: "a profile's name in quotes, e.g. \"coreboot-debian\" for profiles/coreboot-debian.toml")
            }
            if profiles.contains(where: { $0.name == "profiles/\(profile).toml" }) || profiles.count >= maximumDepth {
                throw BoardError.invalidValue(file: asker.source.path, line: asker.source.lines.lineOfKey(asker.key, in: asker.section), key: "\(asker.section).\(asker.key)", value: "\"\(profile)\"",
                                              expected: "a profile that does not lead back to itself (the chain: \((profiles.map(\.name) + ["profiles/\(profile).toml"]).joined(separator: " → "))), at most \(maximumDepth) deep")
            }
            guard let file = layers.find("profiles/\(profile).toml", boardDirectory: boardDirectory) else {
                throw BoardError.unknownProfile(file: asker.source.path, line: asker.source.lines.lineOfKey(asker.key, in: asker.section), name: profile,
                                                searched: [boardDirectory.path] + layers.layers.map(\.directory.path),
                                                known: knownProfiles(boardDirectory: boardDirectory, layers: layers))
            }
            let text: String
            do { text = try String(contentsOf: file.url, encoding: .utf8) } catch {
                throw BoardError.unreadable(file: file.url.path, reason: error.localizedDescription)
            }
            let source = try parse(text, path: file.url.path)
            try checkKeys(source, allowed: profileSections, named: BoardLoader.namedSections)
            sources.append(source)
            profiles.append(file)
            name = source.table["profile"]?.table?["extends"]
            asker = (source, "extends", "profile")
        }
        let merged = sources.reversed().map(\.table).reduce(TOMLTable()) { merge($0, $1) }
        merged.remove(at: "profile")
        return BoardSources(sources: sources, profiles: profiles, merged: merged)
    }

    /// `over` laid on `base`: tables merge key by key, any other value replaces.
    static func merge(_ base: TOMLTable, _ over: TOMLTable) -> TOMLTable {
        let out = TOMLTable(inline: over.inline)
        for key in base.keys where over[key] == nil { out[key] = base[key]! }
        for key in over.keys {
            if let overTable = over[key]?.table, let baseTable = base[key]?.table {
                out[key] = merge(baseTable, overTable)
            } else {
                out[key] = over[key]!
            }
        }
        return out
    }

    /// The names of the profiles the layers hold, for an error's near miss.
    static func knownProfiles(boardDirectory: URL, layers: RecipeLayers) -> [String] {
        let folders = [boardDirectory] + layers.layers.map(\.directory)
        let names = folders.flatMap { (try? FileManager.default.contentsOfDirectory(atPath: $0.appendingPathComponent("profiles").path)) ?? [] }
        return Set(names.filter { $0.hasSuffix(".toml") }.map { String($0.dropLast(5)) }).sorted()
    }

    /// Unknown sections and keys in one file, with its own lines.
    static func checkKeys(_ source: Source, allowed sections: [String: Set<String>], named namedSections: [String: Set<String>]) throws {
        let path = source.path, root = source.table, lines = source.lines
        for key in root.keys {
            guard let allowed = sections[key] else {
                throw BoardError.unknownKey(file: path, line: lines.lineOfTable(key) ?? lines.lineOfKey(key, in: nil), key: key, suggestion: NearMiss.closest(to: key, in: Array(sections.keys)))
            }
            if key == "chips" {
                guard let array = root[key]?.array, !array.isEmpty, array.allSatisfy({ $0.table != nil }) else {
                    throw BoardError.wrongType(file: path, line: lines.lineOfArrayTable(key), key: key, expected: "one [[chips]] table per chip")
                }
                for (index, item) in array.enumerated() {
                    for inner in item.table!.keys where !allowed.contains(inner) {
                        throw BoardError.unknownKey(file: path, line: lines.lineOfKey(inner, inArrayTable: key, index: index), key: "chips[\(index)].\(inner)", suggestion: NearMiss.closest(to: inner, in: Array(allowed)).map { "chips.\($0)" })
                    }
                }
                continue
            }
            guard let table = root[key]?.table else {
                throw BoardError.wrongType(file: path, line: lines.lineOfKey(key, in: nil), key: key, expected: "a table ([\(key)])")
            }
            if let namedKeys = namedSections[key] {
                for name in table.keys {
                    guard let inner = table[name]?.table else {
                        throw BoardError.wrongType(file: path, line: lines.lineOfKey(name, in: key), key: "\(key).\(name)", expected: "a table ([\(key).\(name)])")
                    }
                    for k in inner.keys where !namedKeys.contains(k) {
                        throw BoardError.unknownKey(file: path, line: lines.lineOfKey(k, in: "\(key).\(name)"), key: "\(key).\(name).\(k)", suggestion: NearMiss.closest(to: k, in: Array(namedKeys)).map { "\(key).\(name).\($0)" })
                    }
                }
                continue
            }
            for inner in table.keys where !allowed.contains(inner) {
                throw BoardError.unknownKey(file: path, line: lines.lineOfKey(inner, in: key), key: "\(key).\(inner)", suggestion: NearMiss.closest(to: inner, in: Array(allowed)).map { "\(key).\($0)" })
            }
        }
    }

    /// The file that last set `key` in `section` (the board's when none did).
    func source(ofKey key: String, in section: String?) -> Source {
        sources.first { $0.defines(key, in: section) } ?? sources[0]
    }

    /// The names under `[section.NAME]`: the deepest profile's first, in the order each file
    /// lists them, then what more specific files add.
    func orderedNames(_ section: String) -> [String] {
        var names: [String] = []
        for source in sources.reversed() {
            guard let table = source.table[section]?.table else { continue }
            let sorted = table.keys.sorted { (source.lines.lineOfTable("\(section).\($0)") ?? Int.max) < (source.lines.lineOfTable("\(section).\($1)") ?? Int.max) }
            for name in sorted where !names.contains(name) { names.append(name) }
        }
        return names
    }
}
