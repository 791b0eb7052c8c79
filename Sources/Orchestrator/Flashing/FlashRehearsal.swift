import Boot
import Flash
import Foundation
import Logging
import Support

/// A flash of a board's ROM onto an emulated chip (libflashrom's dummy programmer) loaded with
/// a copy of the owner's backup — or, for the X230 layout, `SyntheticFlashBackup` — so the
/// owner sees the exact plan and result before clipping anything: which regions are written,
/// which erase blocks, and that every region the owner keeps is byte-identical afterwards.
/// Nothing touches hardware; the backup file is only read.
public struct FlashRehearsal: Sendable {
    public struct Result: Sendable, Codable {
        public var chip: String
        public var emulation: String
        public var record: FlashRecord
        /// Every region the flash was to keep reads back with the hash it had before.
        public var keptRegionsUnchanged: Bool
        /// The names of the kept regions that were checked.
        public var keptRegions: [String]
    }

    /// libflashrom's dummy emulations by size, and the flashrom name each probes as.
    static let emulations: [Int: (parameter: String, name: String)] = [
        16 << 20: ("W25Q128FV", "W25Q128.V"),
        8 << 20: ("MX25L6436", "MX25L6436E/MX25L6445E/MX25L6465E/MX25L6473E/MX25L6473F"),
        4 << 20: ("SST25VF032B", "SST25VF032B"),
    ]

    public var board: Board
    public var chipLabel: String?

    public init(board: Board, chipLabel: String?) {
        self.board = board
        self.chipLabel = chipLabel
    }

    /// `backup`: the owner's dump of this chip (or of the whole flash, cut to this chip);
    /// nil uses the synthetic X230-layout backup for descriptor boards, an erased chip otherwise.
    public func run(rom: FlashImage, backup: [UInt8]?, forceBoard: Bool = false, progress: @escaping @Sendable (FlashProgress) -> Void = { _ in }) async throws -> Result {
        let chip = try BoardFlashTarget.chip(of: board, label: chipLabel)
        guard let emulation = Self.emulations[chip.sizeBytes] else { throw RehearsalError.noEmulation(size: chip.sizeBytes) }
        var contents: [UInt8]
        if let backup {
            if backup.count == chip.sizeBytes { contents = backup }
            else if backup.count == board.flashSize { contents = Array(backup[chip.window]) }
            else { throw RehearsalError.backupSize(size: backup.count, chip: chip.sizeBytes, flash: board.flashSize) }
        } else if board.descriptor != nil {
            contents = Array(SyntheticFlashBackup.x230().bytes.prefix(board.flashSize))
            guard contents.count == board.flashSize else { throw RehearsalError.noSyntheticBackup(board: board.name) }
            contents = Array(contents[chip.window])
        } else {
            contents = [UInt8](repeating: 0xFF, count: chip.sizeBytes)
        }

        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-rehearsal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let chipFile = scratch.appendingPathComponent("chip.bin")
        try Data(contents).write(to: chipFile)

        var prepared = try BoardFlashTarget.prepare(board: board, label: chip.label, programmer: "dummy", rom: rom, onProtected: .refuse, forceBoard: forceBoard)
        prepared.target.chipName = emulation.name
        prepared.target.alternativeChipNames = []
        var logger = Logger(label: "ownerboot.rehearsal")
        logger.logLevel = .critical
        let operation = FlashOperation(
            programmer: ProgrammerString(name: "dummy", parameters: "emulate=\(emulation.parameter),image=\(chipFile.path)"),
            target: prepared.target, options: .init(backupDirectory: scratch.appendingPathComponent("backups")), logger: logger)
        var record = try await operation.run(image: prepared.image, progress: progress)
        record.backupPath = nil  // in the scratch folder, gone with it

        let after = [UInt8](try Data(contentsOf: chipFile))
        let kept = record.descriptor?.regions.filter { !$0.written } ?? []
        let unchanged = kept.allSatisfy { SHA256Digest.hex(Array(after[$0.range.start..<$0.range.end])) == $0.chipSHA256 }
        return Result(chip: chip.label, emulation: emulation.parameter, record: record, keptRegionsUnchanged: unchanged, keptRegions: kept.map(\.name))
    }
}
