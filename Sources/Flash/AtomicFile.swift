import Foundation

/// Writes files so that a reader never sees half of one: bytes go to a temporary file in the
/// same directory, are synced, then renamed over the destination.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to url: URL) throws(FlashError) {
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            let handle = try FileHandle(forWritingTo: temporary)
            do {
                try handle.write(contentsOf: bytes)
                try handle.synchronize()
                try handle.close()
            } catch {
                try? handle.close()
                throw error
            }
            if rename(temporary.path, url.path) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw .outputFailed(path: url.path, reason: "\(error.localizedDescription)")
        }
    }

    /// Writes only when `url` does not exist yet (content-addressed files are never
    /// overwritten). Returns whether it wrote.
    @discardableResult
    public static func writeIfAbsent(_ bytes: [UInt8], to url: URL) throws(FlashError) -> Bool {
        if FileManager.default.fileExists(atPath: url.path) { return false }
        try write(bytes, to: url)
        return true
    }
}
