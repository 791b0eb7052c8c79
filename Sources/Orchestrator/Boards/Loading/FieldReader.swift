import Boot
import Foundation
import Support
import TOMLKit

/// Typed access to `[section] key` values of a board merged with its profiles, throwing
/// `BoardError`s that carry the file and line that set the value.
struct FieldReader {
    let sources: BoardSources
    var root: TOMLTable { sources.merged }
    /// The board file: where a missing key is to be added.
    var file: String { sources.sources[0].path }

    /// The file that set `key` in `section` (the board file when none did).
    func file(_ key: String, in section: String?) -> String { sources.source(ofKey: key, in: section).path }
    /// The line of `key` in the file that set it.
    func line(_ key: String, in section: String?) -> Int? { sources.source(ofKey: key, in: section).lines.lineOfKey(key, in: section) }

    /// `section` may be nested, e.g. "components.firmware".
    func value(_ section: String, _ key: String) -> TOMLValueConvertible? {
        var table: TOMLTable? = root
        for part in section.split(separator: ".") { table = table?[String(part)]?.table }
        return table?[key]
    }

    func string(_ section: String, _ key: String) throws -> String {
        guard let value = value(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        guard let string = value.string else {
            throw BoardError.wrongType(file: file(key, in: section), line: line(key, in: section), key: "\(section).\(key)", expected: "a string")
        }
        return string
    }

    func optionalString(_ section: String, _ key: String) throws -> String? {
        value(section, key) == nil ? nil : try string(section, key)
    }

    func stringArray(_ section: String, _ key: String) throws -> [String] {
        guard let strings = try optionalStringArray(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        return strings
    }

    func optionalStringArray(_ section: String, _ key: String) throws -> [String]? {
        guard let value = value(section, key) else { return nil }
        guard let array = value.array, array.allSatisfy({ $0.string != nil }) else {
            throw BoardError.wrongType(file: file(key, in: section), line: line(key, in: section), key: "\(section).\(key)", expected: "an array of strings")
        }
        return array.compactMap(\.string)
    }

    func int(_ section: String, _ key: String) throws -> Int {
        guard let value = value(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        guard let int = value.int else {
            throw BoardError.wrongType(file: file(key, in: section), line: line(key, in: section), key: "\(section).\(key)", expected: "an integer")
        }
        return int
    }
}
