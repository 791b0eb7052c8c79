import Boot
import Flash
import Foundation
import Support

/// Turns a `FlashRecord` into the inventory's flash event for a device: what generation and
/// set the image carried (from its manifest), the outcome, what was written, the backup.
public enum FleetRecorder {
    public static func record(_ record: FlashRecord, device: String, inventory: Inventory) throws {
        let file = FileManager.default.contents(atPath: record.imagePath).map { Array($0) }
        let manifest = file.flatMap { try? OwnerbootManifest.read(fromImage: $0) }
        // On a board of several chips the record's image is one chip's part of the ROM; the
        // inventory names the whole ROM, as `fleet identify` and generations do.
        let romHash = file.map { $0.count == record.chip.sizeBytes ? record.imageHash : SHA256Digest.hex($0) } ?? record.imageHash
        // A flash that returns a record put a verified image on the chip (or found it there);
        // refusals and failures throw instead and are recorded by `recordFailure`.
        let outcome: FlashEvent.Outcome = record.outcome == .planned ? .refused : .success
        // The protected half the chip now holds: the image's, or, when only the unprotected
        // regions were written, the one that was on the chip before (its backup).
        let fallbackSource = record.outcome == .writtenUnprotectedRegions
            ? record.backupPath.flatMap { FileManager.default.contents(atPath: $0) }.map { Array($0) } : file
        try inventory.recordFlash(device: device) {
            FlashEvent(
                deviceId: $0, time: record.time, generation: manifest?.generation, setHash: manifest?.setHash,
                romHash: romHash, readbackHash: record.readbackHash, chip: record.chip.name,
                programmer: record.programmer, outcome: outcome, bytesWritten: record.bytesWritten, backupReference: record.backupPath,
                fallbackGeneration: fallbackSource.flatMap(Self.fallbackGeneration))
        }
    }

    /// The generation in a two-half ROM's write-protected half; nil for a single-CBFS ROM
    /// (whose one set is not a separate fallback) or an unreadable one.
    static func fallbackGeneration(of image: [UInt8]) -> Int? {
        guard let halves = try? OwnerbootManifest.readHalves(fromImage: image), halves.normal != nil else { return nil }
        return halves.fallback?.generation
    }

    /// Records a flash that was refused or failed: nothing verified reached the chip (or the
    /// backup was restored), so the device's status does not move. `refused`: the caller
    /// knows (a promotion refused while the chip is protected); nil: decided from the error.
    public static func recordFailure(_ error: Error, imagePath: String, programmer: String, chip: String, device: String, inventory: Inventory, refused known: Bool? = nil) throws {
        let bytes = FileManager.default.contents(atPath: imagePath).map { Array($0) }
        let manifest = bytes.flatMap { try? OwnerbootManifest.read(fromImage: $0) }
        let refused: Bool
        if let known {
            refused = known
        } else if let flashError = error as? FlashError {
            switch flashError {
            case .verificationFailed, .operationFailed, .writeFailed: refused = false
            default: refused = true
            }
        } else {
            refused = false
        }
        try inventory.recordFlash(device: device) {
            FlashEvent(
                deviceId: $0, generation: manifest?.generation, setHash: manifest?.setHash,
                romHash: bytes.map { Support.SHA256Digest.hex($0) } ?? "unreadable", readbackHash: nil, chip: chip,
                programmer: programmer, outcome: refused ? .refused : .failed, bytesWritten: 0, backupReference: nil,
                fallbackGeneration: bytes.flatMap(fallbackGeneration))
        }
    }
}
