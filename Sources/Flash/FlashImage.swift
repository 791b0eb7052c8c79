import Foundation
import Support

/// A ROM image read from disk, with its hash: the only way images enter a flash, so an
/// unreadable file is a typed error before any programmer is touched.
public struct FlashImage: Sendable {
    public let path: String
    public let bytes: [UInt8]
    public let sha256: String

    public init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
        self.sha256 = SHA256Digest.hex(bytes)
    }

    public static func load(_ url: URL) throws(FlashError) -> FlashImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw .imageUnreadable(path: url.path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .imageUnreadable(path: url.path, reason: "it is a directory") }
        do {
            return FlashImage(path: url.path, bytes: [UInt8](try Data(contentsOf: url)))
        } catch {
            let reason = (error as NSError).localizedFailureReason ?? (error as NSError).localizedDescription
            throw .imageUnreadable(path: url.path, reason: FileManager.default.isReadableFile(atPath: url.path) ? reason : "permission denied")
        }
    }
}
