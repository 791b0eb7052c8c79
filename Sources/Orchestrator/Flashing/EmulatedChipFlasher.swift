import Boot
import Flash
import Foundation
import Logging

/// Flashes a ROM into a dummy-programmer emulated chip (an image file) through the same
/// `FlashOperation` a real board gets: identity check, write-protect plan, backup, write,
/// readback. `protected` starts the chip with the board's hardware write protection on
/// (SRP0 + the BP bits for the board's `[write_protect]` range, WP# asserted), as a deployed
/// board has it.
public struct EmulatedChipFlasher: Sendable {
    public var board: Board
    public var backupDirectory: URL

    public init(board: Board, backupDirectory: URL) {
        self.board = board
        self.backupDirectory = backupDirectory
    }

    /// The dummy programmer string for a W25Q128FV backed by `chipImage`; `protected`: its
    /// status register protects `range` (default: the upper quarter) with WP# asserted.
    public static func programmer(chipImage: URL, protected: Bool, range: (start: Int, length: Int)? = nil) -> ProgrammerString {
        var parameters = "emulate=W25Q128FV,image=\(chipImage.path)"
        if protected {
            let status = statusRegister(start: range?.start ?? 0xC00000, length: range?.length ?? 0x400000) ?? 0x94
            parameters += ",spi_status=0x\(String(status, radix: 16)),hwwp=yes"
        }
        return ProgrammerString(name: "dummy", parameters: parameters)
    }

    /// The W25Q128FV's status register 1 protecting the top `length` bytes of its 16 MiB with
    /// SRP0 set (TB = SEC = CMP = 0): BP = 1 protects the upper 256 KiB, each step doubles
    /// (BP = 5: the upper quarter, 0x94; BP = 6: the upper half, 0x98). nil for a range the
    /// BP bits cannot express.
    public static func statusRegister(start: Int, length: Int) -> UInt8? {
        let size = 16 << 20
        guard length > 0, start + length == size else { return nil }
        var bp = 1, covered = 256 << 10
        while covered < length && bp < 7 { bp += 1; covered *= 2 }
        guard covered == length || (bp == 7 && length == size) else { return nil }
        return 0x80 | UInt8(bp << 2)
    }

    public func flash(rom: URL, chipImage: URL, protected: Bool) async throws -> FlashRecord {
        var logger = Logger(label: "ownerboot.test.flash")
        logger.logLevel = .critical
        let image = FileManager.default.contents(atPath: rom.path).map { Array($0) }
        let operation = FlashOperation(
            programmer: Self.programmer(chipImage: chipImage, protected: protected, range: board.writeProtect.map { ($0.start, $0.length) }),
            target: BoardFlashTarget.target(for: board, onProtected: .refuse, image: image),
            identity: ROMIdentityCheck(board: board.name),
            options: .init(backupDirectory: backupDirectory), logger: logger)
        return try await operation.run(imageURL: rom)
    }

    /// Writes `rom` (a generation in both halves) whole as `ownerboot promote` does: refused
    /// while the chip is `protected`, else written, read back and re-protected. Records no
    /// promotion (the chip is a test's).
    public func promote(rom: URL, chipImage: URL, protected: Bool) async throws -> FlashRecord {
        var logger = Logger(label: "ownerboot.test.promote")
        logger.logLevel = .critical
        let generation = try FileManager.default.contents(atPath: rom.path)
            .flatMap { try OwnerbootManifest.readHalves(fromImage: Array($0)).normal?.generation } ?? -1
        let promotion = FallbackPromotion(
            board: board, store: nil,
            programmer: Self.programmer(chipImage: chipImage, protected: protected, range: board.writeProtect.map { ($0.start, $0.length) }),
            options: .init(backupDirectory: backupDirectory), logger: logger)
        return try await promotion.run(rom: rom, generation: generation, romHash: "")
    }

    /// The same, for callers on plain threads (the QEMU test session): waits for the flash.
    public func flashBlocking(rom: URL, chipImage: URL, protected: Bool) throws -> FlashRecord {
        try Self.blocking { try await flash(rom: rom, chipImage: chipImage, protected: protected) }
    }

    /// `promote`, waiting for it on a plain thread.
    public func promoteBlocking(rom: URL, chipImage: URL, protected: Bool) throws -> FlashRecord {
        try Self.blocking { try await promote(rom: rom, chipImage: chipImage, protected: protected) }
    }

    static func blocking(_ body: @escaping @Sendable () async throws -> FlashRecord) throws -> FlashRecord {
        let box = FlashOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

final class FlashOutcome: @unchecked Sendable {
    var result: Result<FlashRecord, Error>?
}
