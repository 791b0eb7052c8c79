import Foundation

/// Prints Encodable values as stable, pretty JSON (sorted keys) for `--json`.
enum JSONOutput {
    static func print<T: Encodable>(_ value: T) throws {
        Swift.print(String(decoding: try data(value), as: UTF8.self))
    }

    /// The bytes `print` prints (tests read the shape from them).
    static func data<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}
