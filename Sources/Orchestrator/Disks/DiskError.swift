import Foundation
import Support

/// Why a disk could not be provisioned.
public enum DiskError: UserFacingError, Equatable {
    case unreadablePassphrase(path: String)
    case emptyPassphrase(path: String)
    case missingImage(path: String)
    case cryptsetupFailed(step: String, output: String)
    case clevisFailed(step: String, output: String)
    case badPCRValue(index: Int, value: String)
    /// Neither the file nor any GPT partition in it is a LUKS2 container.
    case noLUKSContainer(path: String)
    case badThreshold(threshold: Int, pins: Int)
    /// `--tpm2` on a board whose TPM (board.toml `[board] tpm`) is not a TPM 2.0.
    case noTPM2(board: String, tpm: String)

    public var message: String {
        switch self {
        case .unreadablePassphrase(let path): return "cannot read the passphrase file \(path)"
        case .emptyPassphrase(let path): return "the passphrase file \(path) is empty"
        case .missingImage(let path): return "no OS image at \(path)"
        case .cryptsetupFailed(let step, let output): return "cryptsetup failed to \(step) the disk:\n\(output)"
        case .clevisFailed(let step, let output): return "clevis failed to \(step) the disk:\n\(output)"
        case .badPCRValue(let index, let value): return "PCR \(index)'s expected value \"\(value)\" is not 64 hex digits (SHA-256)"
        case .noLUKSContainer(let path): return "\(path) holds no LUKS2 container (neither the whole file nor a GPT partition)"
        case .badThreshold(let threshold, let pins): return "threshold \(threshold) is not between 1 and the number of pins (\(pins))"
        case .noTPM2(let board, let tpm): return "\(board) has \(tpm == "none" ? "no TPM" : "a TPM \(tpm)") (its board.toml): Clevis's tpm2 pin needs a TPM 2.0, so --tpm2 cannot seal a key there"
        }
    }

    public var fix: String? {
        switch self {
        case .unreadablePassphrase, .emptyPassphrase: return "write the passphrase into the file (one line); it is read, never stored"
        case .missingImage: return "build the board first (`ownerboot build board=NAME` links result/NAME/os/ into the folder it runs in), or pass --os-image"
        case .cryptsetupFailed: return "check that cryptsetup 2.4+ is installed (`bash scripts/setup.sh`) and there is free disk space"
        case .clevisFailed: return "check that clevis-luks and clevis-tpm2 are installed (`bash scripts/setup.sh`), the passphrase opens the disk, and the TPM is reachable"
        case .badPCRValue: return "take the values from `ownerboot pcrs ROM --json`"
        case .noLUKSContainer: return "give the disk `ownerboot disk` wrote (-o), not the OS image"
        case .badThreshold: return "give --threshold a number from 1 to the number of pins (--tang and --tpm2 each add one)"
        case .noTPM2: return "leave out --tpm2: use --tang URL for an unattended unlock, or the passphrase alone (`ownerboot boards` lists each board's unlock methods)"
        }
    }
}
