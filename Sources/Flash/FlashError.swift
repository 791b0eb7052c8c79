import Foundation
import Support

/// Why a flash operation did not happen or did not finish. Each case carries what the user
/// needs (chip names, sizes, ranges, both hashes, the backup path) and says what to do next.
public enum FlashError: UserFacingError, Equatable {
    case sessionClosed
    case notProbed
    case initFailed(code: Int32)
    case unknownProgrammer(name: String, suggestion: String?)
    case programmerInitFailed(programmer: String, detail: String?)
    case noChip(programmer: String)
    case multipleChips(names: [String])
    case chipMismatch(expected: String, found: [String])
    case chipSizeMismatch(chip: String, expected: Int, actual: Int)
    case imageUnreadable(path: String, reason: String)
    case imageSizeMismatch(path: String?, imageSize: Int, chipSize: Int)
    case foreignImage(path: String, reason: String)
    /// Refused before touching the chip: these changed erase blocks lie in the protected range.
    case protectedRangeWouldChange(protection: WriteProtectState, blocks: [ByteRange])
    /// Refused before touching the chip: the flash must write the whole image (a new
    /// protected half: `ownerboot promote`) and the chip still protects a range.
    case protectionMustBeLifted(protection: WriteProtectState)
    case writeFailed(chipChanged: Bool, code: Int32)
    case writeProtectFailed(operation: String, result: WriteProtectResult)
    case writeProtectNotApplied(wanted: WriteProtectState, actual: WriteProtectState)
    case permanentProtectionRefused(range: ByteRange)
    /// The readback differed twice; `restoredHash` is the chip's hash after the backup was
    /// written back (equal to `backupHash` when the restore worked).
    case verificationFailed(expectedHash: String, readbackHash: String, backupPath: String, backupHash: String, restoredHash: String?)
    case backupFailed(path: String, reason: String)
    case outputFailed(path: String, reason: String)
    case operationFailed(operation: String, code: Int32)
    /// The board's chip should hold an Intel flash descriptor and does not.
    case noDescriptorOnChip
    case descriptorUnreadable(where: String, reason: String)
    case descriptorComponentsMismatch(components: [Int], chipSize: Int)
    /// The image carries a descriptor other than the chip's, and changing it was not allowed.
    case descriptorMismatch(differences: [String])
    case descriptorMovesRegion(name: String)
    /// The chip's descriptor puts the BIOS region elsewhere than the image was built for.
    case biosRegionMismatch(descriptor: ByteRange, image: ByteRange)

    public var message: String {
        switch self {
        case .sessionClosed: return "the flash session is already closed"
        case .notProbed: return "no chip probed in this session"
        case .initFailed(let code): return "libflashrom failed to initialise (code \(code))"
        case .unknownProgrammer(let name, _):
            return "unknown programmer '\(name)' (supported: \(ProgrammerString.supported.joined(separator: ", ")))"
        case .programmerInitFailed(let programmer, let detail):
            return "programmer '\(programmer)' failed to initialise" + (detail.map { ": \($0)" } ?? "")
        case .noChip(let programmer): return "no flash chip found through '\(programmer)'"
        case .multipleChips(let names): return "several chip definitions match: \(names.joined(separator: ", "))"
        case .chipMismatch(let expected, let found):
            return "the chip is \(found.joined(separator: " or ")), not the \(expected) the board expects; nothing was written"
        case .chipSizeMismatch(let chip, let expected, let actual):
            return "chip \(chip) holds \(ByteSize.format(actual)) but the board expects \(ByteSize.format(expected)); nothing was written"
        case .imageUnreadable(let path, let reason): return "cannot read the image \(path): \(reason)"
        case .imageSizeMismatch(let path, let imageSize, let chipSize):
            return "the image\(path.map { " \($0)" } ?? "") is \(imageSize) bytes but the chip holds \(chipSize) bytes; nothing was written"
        case .foreignImage(let path, let reason): return "\(path) is not a ROM for this board: \(reason); nothing was written"
        case .protectedRangeWouldChange(let protection, let blocks):
            let shown = blocks.prefix(4).map(\.description).joined(separator: ", ") + (blocks.count > 4 ? ", …" : "")
            return "refusing to flash: the image changes \(blocks.count) erase-block run(s) inside the write-protected range \(protection.range), protected in \(protection.modeDescription) mode (changed: \(shown)); nothing was written"
        case .protectionMustBeLifted(let protection):
            return "refusing to flash: this flash rewrites the write-protected range, and the chip still protects \(protection.range) in \(protection.modeDescription) mode; nothing was written"
        case .writeFailed(let changed, let code):
            return "write failed (libflashrom code \(code)); " + (changed ? "the chip WAS changed" : "the chip was not changed")
        case .writeProtectFailed(let operation, let result): return "write protection \(operation) failed: \(result.rawValue)"
        case .writeProtectNotApplied(let wanted, let actual):
            return "write protection reads back as \(actual), wanted \(wanted)"
        case .permanentProtectionRefused(let range):
            return "refusing to set permanent write protection on \(range) automatically: it can never be undone"
        case .verificationFailed(let expected, let readback, let backup, let backupHash, let restored):
            var text = "readback does not match after two writes: expected sha256 \(expected), chip has \(readback)."
            guard let restored else {
                return text + " Writing the backup \(backup) (sha256 \(backupHash)) back failed and the chip could not be read: its state is unknown."
            }
            text += restored == backupHash
                ? " The backup \(backup) (sha256 \(backupHash)) was written back and verified."
                : " Writing the backup \(backup) (sha256 \(backupHash)) back ALSO failed: chip has \(restored)."
            return text
        case .backupFailed(let path, let reason): return "cannot keep the backup at \(path): \(reason); nothing was written"
        case .outputFailed(let path, let reason): return "cannot write \(path): \(reason)"
        case .operationFailed(let operation, let code): return "\(operation) failed (libflashrom code \(code))"
        case .noDescriptorOnChip:
            return "the chip holds no Intel flash descriptor (no signature 0x0FF0A55A at 0x10): ownerboot cannot tell the owner's regions from the BIOS region; nothing was written"
        case .descriptorUnreadable(let place, let reason): return "the flash descriptor \(place) cannot be read: \(reason); nothing was written"
        case .descriptorComponentsMismatch(let components, let chipSize):
            return "the chip's descriptor declares \(components.map(ByteSize.format).joined(separator: " + ")) of flash, but this chip holds \(ByteSize.format(chipSize)); nothing was written"
        case .descriptorMismatch(let differences):
            return "refusing to flash: the image's flash descriptor differs from the chip's (\(differences.joined(separator: "; "))); nothing was written"
        case .descriptorMovesRegion(let name):
            return "refusing to flash: the image's descriptor moves the \(name) region but the image does not carry it; nothing was written"
        case .biosRegionMismatch(let descriptor, let image):
            return "refusing to flash: the chip's descriptor puts the BIOS region at \(descriptor), but this ROM was built for \(image); nothing was written"
        }
    }

    public var fix: String? {
        switch self {
        case .unknownProgrammer(_, let suggestion):
            return suggestion.map { "did you mean '\($0)'?" } ?? "use one of the supported programmers, e.g. ch341a_spi or ft2232_spi:type=2232H"
        case .programmerInitFailed(let programmer, _):
            // Run by an ordinary user, a USB programmer needs the udev rule; the internal
            // programmer (the chipset's registers) and linux_spi (/dev/spidev) need root.
            if geteuid() != 0, programmer.hasPrefix("internal") || programmer.hasPrefix("linux_spi") {
                return "'\(programmer.split(separator: ":").first ?? "")' needs root (raw access to the chipset or to /dev/spidev): run this command as root (sudo)"
            }
            if geteuid() != 0, programmer.hasPrefix("ft2232_spi") || programmer.hasPrefix("ch341a_spi") {
                return "as an ordinary user, the programmer's USB device must be yours: `sudo bash scripts/setup.sh` installs /etc/udev/rules.d/60-ownerboot.rules (FT2232H/FT232H 0403:6010/6014, CH341A 1a86:5512 to the plugdev group); add yourself to plugdev (`sudo usermod -aG plugdev $USER`), log in again and replug it. Otherwise check the programmer string and the USB connection (`ownerboot programmers`)"
            }
            return "check the programmer string, the USB connection and permissions (`ownerboot programmers`)"
        case .noChip: return "check the clip is seated on the chip, the chip is powered at the right voltage, and the programmer string"
        case .multipleChips: return "name the chip the board expects (chip.name in board.toml)"
        case .chipMismatch: return "check you clipped the right chip and chose the right board; board.toml's chip.name must be flashrom's name for it"
        case .chipSizeMismatch: return "check the board (chip.size in board.toml) and that the clip is on the right chip"
        case .imageUnreadable: return "check the path and permissions of the image"
        case .imageSizeMismatch: return "build the ROM for this board (its size must equal the chip's)"
        case .foreignImage: return "flash a ROM built for this board, or pass --force-board 1 if you are sure"
        case .protectedRangeWouldChange(let protection, _):
            return protection.howToUnprotect + "; or build a ROM that leaves the protected range as it is on the chip (a normal/fallback board: `[write_protect] fallback_generation` = the chip's fallback generation), or use a board whose policy writes only the unprotected regions"
        case .protectionMustBeLifted(let protection):
            return protection.howToUnprotect
        case .writeFailed(let changed, _):
            return changed ? "do not power the board off; run the flash again or write the backup back with `ownerboot flash --programmer P --image <backup>`" : "check the connection and try again"
        case .writeProtectFailed: return "check WP# is deasserted and the chip supports this range (`ownerboot wp status --programmer P`)"
        case .writeProtectNotApplied: return "deassert WP# and run `ownerboot wp enable --programmer P` again"
        case .permanentProtectionRefused: return "apply it deliberately with `ownerboot wp enable --mode permanent --allow-permanent --programmer P` once the ROM is proven"
        case .verificationFailed(_, _, let backup, let backupHash, let restored):
            if restored == backupHash { return "the chip holds its old contents again: check the clip and the chip's supply voltage (CH341A clones drive 5 V), then flash again" }
            return "do NOT power the board off: check the clip and the chip's supply voltage, then write the backup back with `ownerboot flash --programmer P --image \(backup)`"
        case .backupFailed, .outputFailed: return "check the directory exists, is writable and has space"
        case .noDescriptorOnChip, .descriptorComponentsMismatch:
            return "check the clip is on the chip that holds the descriptor (an X230's 8 MiB chip) and --chip names it; if the chip was erased, write your full backup of it back first (`ownerboot flash --programmer … --image BACKUP`, without board=, writes the whole chip)"
        case .descriptorUnreadable: return "read the chip again (`ownerboot read`) and compare with your backup (`ifdtool -d BACKUP`)"
        case .descriptorMismatch:
            return "flash the BIOS-only ROM `ownerboot build` makes (it carries no descriptor), or pass --write-descriptor if replacing the descriptor is what you want (the backup keeps the old one)"
        case .descriptorMovesRegion: return "flash a full image that carries every region its descriptor moves, or keep the chip's descriptor"
        case .biosRegionMismatch(let descriptor, _):
            return String(format: "build for this chip's layout: set CONFIG_CBFS_SIZE=0x%X in the board's coreboot.config and bios_start = 0x%X, bios_length = 0x%X in board.toml's [descriptor] (`ifdtool -d BACKUP` shows the regions)", descriptor.length, descriptor.start, descriptor.length)
        default: return nil
        }
    }
}
