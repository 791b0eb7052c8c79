import Foundation
import Support
import TOMLKit

/// Reads `board.toml` into a `Board`, checking every key: unknown keys, wrong types and
/// missing files are `BoardError`s naming the file, the line and the key, with the near miss.
public struct BoardLoader: Sendable {
    public init() {}

    static let sections: [String: Set<String>] = [
        "board": ["name", "description", "arch"],
        "chip": ["name", "size", "programmer"],
        "write_protect": ["start", "length", "mode"],
    ]

    public func load(_ file: URL) throws -> Board {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw BoardError.unreadable(file: file.path, reason: "\(error.localizedDescription)")
        }
        return try parse(text, file: file)
    }

    public func parse(_ text: String, file: URL) throws -> Board {
        let path = file.path
        let lines = SourceLines(text)
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw BoardError.syntax(file: path, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        }
        for key in root.keys {
            guard let allowed = Self.sections[key] else {
                throw BoardError.unknownKey(file: path, line: lines.lineOfTable(key), key: key, suggestion: NearMiss.closest(to: key, in: Array(Self.sections.keys)))
            }
            guard let table = root[key]?.table else {
                throw BoardError.wrongType(file: path, line: lines.lineOfKey(key, in: nil), key: key, expected: "a table ([\(key)])")
            }
            for inner in table.keys where !allowed.contains(inner) {
                throw BoardError.unknownKey(file: path, line: lines.lineOfKey(inner, in: key), key: "\(key).\(inner)", suggestion: NearMiss.closest(to: inner, in: Array(allowed)).map { "\(key).\($0)" })
            }
        }
        let fields = FieldReader(root: root, file: path, lines: lines)
        let name = try fields.string("board", "name")
        let expectedName = file.deletingLastPathComponent().lastPathComponent
        if name != expectedName {
            throw BoardError.invalidValue(file: path, line: lines.lineOfKey("name", in: "board"), key: "board.name", value: "\"\(name)\"", expected: "\"\(expectedName)\", the name of the board's folder")
        }
        let sizeText = try fields.string("chip", "size")
        guard let size = ByteSize.parse(sizeText) else {
            throw BoardError.invalidValue(file: path, line: lines.lineOfKey("size", in: "chip"), key: "chip.size", value: "\"\(sizeText)\"", expected: "a size such as \"16MiB\", \"8MiB\" or \"4096KiB\"")
        }
        var writeProtect: WriteProtectSpec?
        if root["write_protect"] != nil {
            let modeText = try fields.string("write_protect", "mode")
            guard let mode = WriteProtectSpec.Mode(rawValue: modeText) else {
                throw BoardError.invalidValue(file: path, line: lines.lineOfKey("mode", in: "write_protect"), key: "write_protect.mode", value: "\"\(modeText)\"", expected: WriteProtectSpec.Mode.allCases.map(\.rawValue).joined(separator: ", "))
            }
            let start = try fields.int("write_protect", "start")
            let length = try fields.int("write_protect", "length")
            if start < 0 || length < 0 || start + length > size {
                throw BoardError.invalidValue(file: path, line: lines.lineOfKey("length", in: "write_protect"), key: "write_protect", value: String(format: "0x%X+0x%X", start, length), expected: "a range inside the \(size)-byte chip")
            }
            writeProtect = WriteProtectSpec(start: start, length: length, mode: mode)
        }
        return Board(
            name: name,
            description: try fields.optionalString("board", "description") ?? "",
            arch: try fields.optionalString("board", "arch") ?? "x86_64",
            chip: ChipSpec(name: try fields.string("chip", "name"), sizeBytes: size, programmer: try fields.optionalString("chip", "programmer")),
            writeProtect: writeProtect,
            directory: file.deletingLastPathComponent())
    }
}

/// Typed access to `[section] key` values, throwing `BoardError`s that carry the line.
struct FieldReader {
    let root: TOMLTable
    let file: String
    let lines: SourceLines

    func value(_ section: String, _ key: String) -> TOMLValueConvertible? {
        root[section]?.table?[key]
    }

    func string(_ section: String, _ key: String) throws -> String {
        guard let value = value(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        guard let string = value.string else {
            throw BoardError.wrongType(file: file, line: lines.lineOfKey(key, in: section), key: "\(section).\(key)", expected: "a string")
        }
        return string
    }

    func optionalString(_ section: String, _ key: String) throws -> String? {
        value(section, key) == nil ? nil : try string(section, key)
    }

    func int(_ section: String, _ key: String) throws -> Int {
        guard let value = value(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        guard let int = value.int else {
            throw BoardError.wrongType(file: file, line: lines.lineOfKey(key, in: section), key: "\(section).\(key)", expected: "an integer")
        }
        return int
    }
}

/// Line lookups in a TOML file's text: TOMLKit reports positions only for syntax errors,
/// so keys are found by scanning the source for `[section]` and `key =`.
struct SourceLines {
    let lines: [Substring]

    init(_ text: String) {
        lines = text.split(separator: "\n", omittingEmptySubsequences: false)
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
