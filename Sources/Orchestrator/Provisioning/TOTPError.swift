import Foundation
import Support

/// Why `ownerboot totp enroll` did not enrol a TOTP secret.
public enum TOTPError: UserFacingError, Equatable {
    /// The disk already has ownerboot-totp tokens and neither --replace nor --secret-stdin was given.
    case alreadyEnrolled(disk: String, containers: [String])
    /// The ROM has no boot path ownerboot can predict (no FMAP area COREBOOT).
    case noBootPath(rom: String)
    /// `clevis encrypt tpm2` failed.
    case sealFailed(output: String)
    /// cryptsetup could not read, remove or import a token.
    case tokenFailed(step: String, disk: String, output: String)
    /// The secret on standard input is neither base32 nor an otpauth://totp/ URI the unlocker can compute.
    case badSecret
    /// `qrencode` failed (or is not installed).
    case qrencodeFailed(output: String)
    /// The board's TPM (board.toml `[board] tpm`) is not a TPM 2.0.
    case noTPM2(board: String, tpm: String)

    public var message: String {
        switch self {
        case .alreadyEnrolled(let disk, let containers): return "\(disk) already has a TOTP secret (ownerboot-totp tokens in \(containers.joined(separator: ", "))): enrolling a new one would leave your authenticator showing the old codes"
        case .noBootPath(let rom): return "\(rom) has no FMAP area COREBOOT: it is not a coreboot ROM whose PCRs ownerboot can predict"
        case .sealFailed(let output): return "clevis could not seal the TOTP secret with the TPM:\n\(output)"
        case .tokenFailed(let step, let disk, let output): return "cryptsetup failed to \(step) \(disk):\n\(output)"
        case .badSecret: return "standard input holds no TOTP secret the unlocker can compute: give the base32 secret or the otpauth://totp/ URI `ownerboot totp enroll` showed (SHA1, 6 digits, 30 s, at least 128 bits)"
        case .qrencodeFailed(let output): return "qrencode could not draw the QR code: \(output)"
        case .noTPM2(let board, let tpm): return "\(board) has \(tpm == "none" ? "no TPM" : "a TPM \(tpm)") (its board.toml): the TOTP secret is sealed with Clevis's tpm2 pin, which needs a TPM 2.0"
        }
    }

    public var fix: String? {
        switch self {
        case .alreadyEnrolled: return "add --replace to make a new secret (then scan the new code: the old one stops working), or reseal the secret you have with --secret-stdin"
        case .noBootPath: return "give the ROM `ownerboot build` made (--rom result/BOARD/rom/BOARD.rom); `ownerboot inspect ROM` shows its layout"
        case .sealFailed: return "check that clevis-tpm2 and tpm2-tools are installed (`bash scripts/setup.sh`) and the TPM in --tcti is reachable"
        case .tokenFailed: return "check that cryptsetup 2.4+ is installed and the disk is a LUKS2 disk `ownerboot disk` made (its header has room for a token)"
        case .badSecret: return "pipe the URI in: `printf '%s' 'otpauth://totp/…' | ownerboot totp enroll --secret-stdin …`"
        case .qrencodeFailed: return "install qrencode (`bash scripts/setup.sh`): nothing was sealed or written yet; or use --json, which prints the otpauth:// URI without a QR code"
        case .noTPM2: return "a TOTP code needs a TPM 2.0 board (qemu-x86 and boards like it); on this board the passphrase prompt stays as it is"
        }
    }
}
