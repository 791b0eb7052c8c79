import Boot
import Flash
import Foundation

/// What flashing a board means to the Flash module: the chip it expects, the write-protect
/// policy, the image's FMAP areas as layout regions, and the manifest check that refuses a
/// ROM built for another board (`ROMIdentityCheck`).
public enum BoardFlashTarget {
    public static func target(for board: Board, onProtected: FlashPlan.Policy, image: [UInt8]? = nil) -> ExpectedTarget {
        var target = ExpectedTarget(
            chipName: board.chip.name, chipSize: board.chip.sizeBytes,
            writeProtect: WriteProtectPolicy(onProtected: onProtected, apply: board.writeProtect.flatMap(state)))
        if let image, let map = try? FMAP.find(in: image).map {
            // Leaf areas only: an area that contains others (BIOS around FMAP + COREBOOT) would
            // overlap its children in a layout.
            let leaves = map.areas.filter { area in
                !map.areas.contains { other in other.name != area.name && other.offset >= area.offset && other.offset + other.size <= area.offset + area.size && other.size < area.size }
            }
            target.regions = leaves.map { FlashRegion(name: $0.name, start: Int($0.offset), length: Int($0.size)) }
        }
        return target
    }

    /// The protection a board's policy asks for; "none" leaves the chip as it is.
    public static func state(_ spec: WriteProtectSpec) -> WriteProtectState? {
        let range = ByteRange(start: spec.start, length: spec.length)
        switch spec.mode {
        case .hardware: return WriteProtectState(range: range, mode: .hardware)
        case .software: return WriteProtectState(range: range, mode: .disabled)
        case .permanent: return WriteProtectState(range: range, mode: .permanent)
        case .none: return nil
        }
    }

    /// `$OWNERBOOT_HOME/backups`.
    public static func defaultBackupDirectory() -> URL {
        OwnerbootHome.url().appendingPathComponent("backups")
    }
}

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
