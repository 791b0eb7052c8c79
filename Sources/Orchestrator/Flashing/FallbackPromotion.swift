import Boot
import Flash
import Foundation
import Logging

/// Makes a generation the board's fallback: writes its self-contained ROM (the generation in
/// both halves, `SelfContainedROM`) over the whole chip through the same `FlashOperation` as
/// every flash (identity check, backup, changed blocks only, readback, then the board's
/// write-protect policy applied and read back), and records the promotion in the store so
/// later builds keep this ROM's protected half. The protected half can only be rewritten with
/// the protection lifted: while the chip protects anything, it refuses before reading or
/// writing, with the steps to lift it.
public struct FallbackPromotion: Sendable {
    public var board: Board
    /// Where the promotion is recorded; nil records nothing (a test's emulated chip).
    public var store: Store?
    public var programmer: ProgrammerString
    /// With a board of several chips: which one (`BoardFlashTarget.chip`).
    public var chipLabel: String?
    public var options: FlashOperation.Options
    public var logger: Logger

    public init(board: Board, store: Store?, programmer: ProgrammerString, chipLabel: String? = nil, options: FlashOperation.Options, logger: Logger = Logger(label: "ownerboot.promote")) {
        self.board = board
        self.store = store
        self.programmer = programmer
        self.chipLabel = chipLabel
        self.options = options
        self.logger = logger
    }

    /// Writes `rom` (generation `generation`'s ROM, derivation `romHash`) and records it as the
    /// board's fallback unless this is a dry run.
    public func run(rom: URL, generation: Int, romHash: String, progress: @escaping @Sendable (FlashProgress) -> Void = { _ in }) async throws -> FlashRecord {
        let image = try FlashImage.load(rom)
        let halves = try OwnerbootManifest.readHalves(fromImage: image.bytes)
        guard let normal = halves.normal else { throw PromotionError.singleCBFS(board: board.name, path: rom.path) }
        guard normal.generation == generation, halves.fallback?.generation == generation else {
            throw PromotionError.halvesDiffer(path: rom.path, generation: generation, normal: normal.generation, fallback: halves.fallback?.generation)
        }
        let prepared = try BoardFlashTarget.prepare(board: board, label: chipLabel, programmer: programmer.description, rom: image, onProtected: .refuse)
        var target = prepared.target
        target.writeProtect.requireUnprotected = true
        let operation = FlashOperation(programmer: programmer, target: target, identity: nil, options: options, logger: logger)
        let record: FlashRecord
        do {
            record = try await operation.run(image: prepared.image, progress: progress)
        } catch FlashError.protectionMustBeLifted(let protection) {
            throw PromotionError.writeProtected(board: board.name, generation: generation, protection: protection)
        }
        if record.outcome != .planned, let store {
            // The chip was read back equal to the ROM: its protected half is this generation's.
            try store.recordPromotion(Promotion(board: board.name, generation: generation, romHash: romHash, time: record.time))
        }
        return record
    }
}
