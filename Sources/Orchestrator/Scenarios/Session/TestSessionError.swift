import Foundation
import Support

/// Why a test session could not run a scenario at all.
public enum TestSessionError: UserFacingError, Equatable {
    case unknownScenario(name: String, known: [String])
    case needsFlasher(scenario: String)
    case noPreviousGeneration(scenario: String)
    case noPayload(scenario: String)
    /// A tampered-root scenario on a board whose OS is not a verity image.
    case noVerityOS
    case protectedHalfChanged(offset: Int, chip: String)
    /// The promotion with the chip protected was not refused, or changed the chip.
    case promotedWhileProtected(chip: String)
    case promotionNotOnChip(chip: String, rom: String)
    case needsTPMDevice(scenario: String)
    case tangFailed(reason: String)

    public var message: String {
        switch self {
        case .unknownScenario(let name, let known): return "no scenario '\(name)'; the board has: \(known.joined(separator: ", "))"
        case .needsFlasher(let scenario): return "scenario '\(scenario)' flashes an emulated chip, but no flasher was given"
        case .noPreviousGeneration(let scenario): return "scenario '\(scenario)' needs an earlier generation of the board to update from"
        case .noVerityOS: return "a tampered-root scenario needs a dm-verity OS (os.img, hash_offset) and [disk] slot_b_uuid and state_uuid"
        case .protectedHalfChanged(let offset, let chip): return "the update changed the protected half of \(chip) at offset 0x\(String(offset, radix: 16)): the fallback set is no longer the one the chip held"
        case .promotedWhileProtected(let chip): return "promoting onto \(chip) with its upper half hardware-protected was not refused (or changed the chip)"
        case .promotionNotOnChip(let chip, let rom): return "after the promotion \(chip) does not hold \(rom) byte for byte"
        case .tangFailed(let reason): return "could not set up the scenario's tang server: \(reason)"
        case .needsTPMDevice(let scenario): return "scenario '\(scenario)' has a disk with a TPM2 pin (tpm2, tpm2-resealed, sss) but no TPM device to seal its key"
        case .noPayload(let scenario): return "scenario '\(scenario)' boots the board's kernel and initramfs, but the build has no kernel (bzImage) or unlocker (initramfs.cpio.*) output"
        }
    }

    public var fix: String? {
        switch self {
        case .unknownScenario(let name, let known): return NearMiss.closest(to: name, in: known).map { "did you mean '\($0)'?" } ?? "pick one of the listed scenarios"
        case .needsFlasher: return "run it through `ownerboot test`, which flashes with libflashrom's dummy programmer"
        case .noPreviousGeneration: return "run it through `ownerboot test`, which builds a previous release (the board with one comment line added) when the store has no earlier generation"
        case .noVerityOS: return "build the board's Debian OS ([os] in board.toml) or remove the scenario"
        case .protectedHalfChanged: return "build the update with the chip's fallback generation ([write_protect] fallback_generation) so only the normal region changes"
        case .promotedWhileProtected: return "a promotion must refuse before reading or writing while the chip protects a range (the flash target's requireUnprotected, as `ownerboot promote` sets it)"
        case .promotionNotOnChip: return "read the flash record: a promotion writes the whole ROM and reads it back"
        case .tangFailed: return "run scripts/setup.sh (it installs tang: /usr/libexec/tangd and tangd-keygen)"
        case .needsTPMDevice: return "give the scenario tpm = \"NAME\" (a device whose TPM state the session keeps)"
        case .noPayload: return "name the components kernel and unlocker in board.toml, as the shipped boards do"
        }
    }
}
