import Boot
import Flash
import Foundation
import Support

/// What flashing a board means to the Flash module: the chip it expects, the write-protect
/// policy, the image's FMAP areas as layout regions, and the manifest check that refuses a
/// ROM built for another board (`ROMIdentityCheck`).
public enum BoardFlashTarget {
    /// What `--chip all` selects on a board with several chips: the whole flash as the
    /// chipset presents it (flashrom's `internal` programmer on the running machine).
    public static let wholeFlash = "all"

    /// One chip of a board, ready to flash: the target to check it against and the part of
    /// the ROM that belongs on it.
    public struct Prepared: Sendable {
        public var chip: ChipSpec
        public var target: ExpectedTarget
        public var image: FlashImage
    }

    /// The board's chip called `label` (nil: the only chip, or, when the programmer is
    /// `internal`, the whole flash).
    public static func chip(of board: Board, label: String?, programmer: String? = nil) throws -> ChipSpec {
        let labels = board.chips.map(\.label) + (board.chips.count > 1 ? [wholeFlash] : [])
        guard let label else {
            if board.chips.count == 1 { return board.chip }
            if programmer?.hasPrefix("internal") == true { return whole(board) }
            throw BoardChipError.chipRequired(board: board.name, chips: board.chips)
        }
        if let chip = board.chips.first(where: { $0.label == label }) { return chip }
        if label == wholeFlash, board.chips.count > 1 { return whole(board) }
        throw BoardChipError.unknownChip(board: board.name, label: label, labels: labels, suggestion: NearMiss.closest(to: label, in: labels))
    }

    /// The whole flash of a multi-chip board as one (any chip name; the chipset reports it).
    static func whole(_ board: Board) -> ChipSpec {
        ChipSpec(name: "", sizeBytes: board.flashSize, programmer: "internal", label: wholeFlash, models: [], offset: 0, access: "the running machine, through its chipset")
    }

    /// Maps `rom` (the board's whole ROM) to the chip `label`: checks the ROM's manifest names
    /// this board and its size is the flash's, then cuts out the chip's part. On the chip that
    /// holds an Intel descriptor, the layout comes from that descriptor at flash time.
    public static func prepare(board: Board, label: String?, programmer: String?, rom: FlashImage, onProtected: FlashPlan.Policy,
                               writeDescriptor: Bool = false, forceBoard: Bool = false) throws -> Prepared {
        let chip = try chip(of: board, label: label, programmer: programmer)
        // Before anything touches the chip: the board's own firmware made the flash read-only
        // to the chipset, so an internal write can only fail (flashrom stops at PR0's first block).
        if let lock = board.chipsetProtect, programmer?.hasPrefix("internal") == true {
            throw BoardChipError.chipsetLocked(board: board.name, range: ByteRange(start: lock.start, length: lock.length), chips: board.chips)
        }
        try ROMIdentityCheck(board: board.name, force: forceBoard).check(image: rom.bytes, path: rom.path)
        guard rom.bytes.count == board.flashSize else {
            throw BoardChipError.romSize(path: rom.path, size: rom.bytes.count, board: board.name, flashSize: board.flashSize)
        }
        let slice = chip.offset == 0 && chip.sizeBytes == rom.bytes.count ? rom.bytes : Array(rom.bytes[chip.window])
        // The path stays the ROM's: the inventory reads the manifest (and the ROM's hash) from it.
        let image = chip.offset == 0 && chip.sizeBytes == rom.bytes.count ? rom : FlashImage(path: rom.path, bytes: slice)
        var target = target(for: board, onProtected: onProtected, image: rom.bytes, chip: chip)
        if let spec = board.descriptor, chip.offset == 0 {
            target.regions = nil
            target.descriptor = DescriptorPolicy(
                writtenRegions: spec.writeRegions.compactMap(IntelFlashDescriptor.RegionKind.init(shortName:)),
                imageBIOSRegion: biosArea(in: rom.bytes) ?? ByteRange(start: spec.biosStart, length: spec.biosLength),
                allowDescriptorChange: writeDescriptor)
        }
        return Prepared(chip: chip, target: target, image: image)
    }

    /// The ROM's FMAP "BIOS" (or "SI_BIOS") area: where it was built to sit in the flash.
    static func biosArea(in rom: [UInt8]) -> ByteRange? {
        guard let map = try? FMAP.find(in: rom).map,
              let area = map.areas.first(where: { $0.name == "SI_BIOS" }) ?? map.areas.first(where: { $0.name == "BIOS" }) else { return nil }
        return ByteRange(start: Int(area.offset), length: Int(area.size))
    }

    public static func target(for board: Board, onProtected: FlashPlan.Policy, image: [UInt8]? = nil) -> ExpectedTarget {
        target(for: board, onProtected: onProtected, image: image, chip: board.chip)
    }

    /// The chip's names and size, the write-protect policy (for the chip holding the range)
    /// and the image's FMAP leaf areas inside the chip's window, in chip addresses.
    static func target(for board: Board, onProtected: FlashPlan.Policy, image: [UInt8]?, chip: ChipSpec) -> ExpectedTarget {
        var protect = board.writeProtect.flatMap(state)
        if let p = protect {
            // The policy is written in ROM addresses; a chip protects its own.
            let range = ByteRange(start: p.range.start - chip.offset, length: p.range.length)
            protect = range.start >= 0 && range.end <= chip.sizeBytes ? WriteProtectState(range: range, mode: p.mode) : nil
        }
        var target = ExpectedTarget(
            chipName: chip.name.isEmpty ? nil : chip.name, chipSize: chip.sizeBytes,
            writeProtect: WriteProtectPolicy(onProtected: onProtected, apply: protect))
        target.alternativeChipNames = chip.models
        if let image, let map = try? FMAP.find(in: image).map {
            // Leaf areas only: an area that contains others (BIOS around FMAP + COREBOOT) would
            // overlap its children in a layout.
            let leaves = map.areas.filter { area in
                !map.areas.contains { other in other.name != area.name && other.offset >= area.offset && other.offset + other.size <= area.offset + area.size && other.size < area.size }
            }
            target.regions = leaves.compactMap { area in
                let start = max(Int(area.offset), chip.offset), end = min(Int(area.offset) + Int(area.size), chip.offset + chip.sizeBytes)
                return end > start ? FlashRegion(name: area.name, start: start - chip.offset, length: end - start) : nil
            }
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
