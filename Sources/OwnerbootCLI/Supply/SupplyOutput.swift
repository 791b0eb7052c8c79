import Foundation

/// Writes a document to a file atomically (never half-written) or to standard output.
enum SupplyOutput {
    static func emit(_ data: Data, to path: String?) throws {
        guard let path else { return FileHandle.standardOutput.write(data) }
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}
