import Boot
import Flash
import Foundation
import Support

/// Refuses an image whose embedded manifest names another board, or that has none (unless
/// forced): the most common way to brick a machine is flashing the wrong ROM.
public struct ROMIdentityCheck: ImageIdentityCheck {
    public var board: String
    public var force: Bool

    public init(board: String, force: Bool = false) {
        self.board = board
        self.force = force
    }

    public func check(image: [UInt8], path: String) throws {
        if force { return }
        let manifest: OwnerbootManifest?
        do { manifest = try OwnerbootManifest.read(fromImage: image) } catch {
            throw FlashError.foreignImage(path: path, reason: "its ownerboot manifest cannot be read (\(error))")
        }
        guard let manifest else {
            throw FlashError.foreignImage(path: path, reason: "it has no ownerboot manifest (not built by ownerboot)")
        }
        if manifest.board != board {
            throw FlashError.foreignImage(path: path, reason: "it was built for board '\(manifest.board)', not '\(board)'")
        }
    }
}
