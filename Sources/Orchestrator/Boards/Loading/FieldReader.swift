import Boot
import Foundation
import Support
import TOMLKit

/// Typed access to `[section] key` values, throwing `BoardError`s that carry the line.
struct FieldReader {
    let root: TOMLTable
    let file: String
    let lines: SourceLines

    /// `section` may be nested, e.g. "components.firmware".
    func value(_ section: String, _ key: String) -> TOMLValueConvertible? {
        var table: TOMLTable? = root
        for part in section.split(separator: ".") { table = table?[String(part)]?.table }
        return table?[key]
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

    func stringArray(_ section: String, _ key: String) throws -> [String] {
        guard let strings = try optionalStringArray(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        return strings
    }

    func optionalStringArray(_ section: String, _ key: String) throws -> [String]? {
        guard let value = value(section, key) else { return nil }
        guard let array = value.array, array.allSatisfy({ $0.string != nil }) else {
            throw BoardError.wrongType(file: file, line: lines.lineOfKey(key, in: section), key: "\(section).\(key)", expected: "an array of strings")
        }
        return array.compactMap(\.string)
    }

    func int(_ section: String, _ key: String) throws -> Int {
        guard let value = value(section, key) else { throw BoardError.missingKey(file: file, key: "\(section).\(key)") }
        guard let int = value.int else {
            throw BoardError.wrongType(file: file, line: lines.lineOfKey(key, in: section), key: "\(section).\(key)", expected: "an integer")
        }
        return int
    }
}
