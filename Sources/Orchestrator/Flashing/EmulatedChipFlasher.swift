import Flash
import Foundation
import Logging

/// Flashes a ROM into a dummy-programmer emulated chip (an image file) through the same
/// `FlashOperation` a real board gets: identity check, write-protect plan, backup, write,
/// readback. `protected` starts the chip with the board's hardware write protection on
/// (SRP0 + BP bits for the upper quarter, WP# asserted), as a deployed board has it.
public struct EmulatedChipFlasher: Sendable {
    public var board: Board
    public var backupDirectory: URL

    public init(board: Board, backupDirectory: URL) {
        self.board = board
        self.backupDirectory = backupDirectory
    }

    /// The dummy programmer string for a W25Q128FV backed by `chipImage`.
    public static func programmer(chipImage: URL, protected: Bool) -> ProgrammerString {
        var parameters = "emulate=W25Q128FV,image=\(chipImage.path)"
        if protected { parameters += ",spi_status=0x94,hwwp=yes" }
        return ProgrammerString(name: "dummy", parameters: parameters)
    }

    public func flash(rom: URL, chipImage: URL, protected: Bool) async throws -> FlashRecord {
        var logger = Logger(label: "ownerboot.test.flash")
        logger.logLevel = .critical
        let image = FileManager.default.contents(atPath: rom.path).map { Array($0) }
        let operation = FlashOperation(
            programmer: Self.programmer(chipImage: chipImage, protected: protected),
            target: BoardFlashTarget.target(for: board, onProtected: .refuse, image: image),
            identity: ROMIdentityCheck(board: board.name),
            options: .init(backupDirectory: backupDirectory), logger: logger)
        return try await operation.run(imageURL: rom)
    }

    /// The same, for callers on plain threads (the QEMU test session): waits for the flash.
    public func flashBlocking(rom: URL, chipImage: URL, protected: Bool) throws -> FlashRecord {
        let box = FlashOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { box.result = .success(try await flash(rom: rom, chipImage: chipImage, protected: protected)) } catch { box.result = .failure(error) }
            done.signal()
        }
        done.wait()
        return try box.result!.get()
    }
}

final class FlashOutcome: @unchecked Sendable {
    var result: Result<FlashRecord, Error>?
}
