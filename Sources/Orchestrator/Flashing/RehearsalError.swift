import Boot
import Flash
import Foundation
import Logging
import Support

public enum RehearsalError: UserFacingError, Equatable {
    case noEmulation(size: Int)
    case backupSize(size: Int, chip: Int, flash: Int)
    case noSyntheticBackup(board: String)

    public var message: String {
        switch self {
        case .noEmulation(let size): return "libflashrom's dummy programmer emulates no \(ByteSize.format(size)) chip (it has 4, 8 and 16 MiB ones)"
        case .backupSize(let size, let chip, let flash):
            return "the backup is \(ByteSize.format(size)): neither this chip (\(ByteSize.format(chip))) nor the whole flash (\(ByteSize.format(flash)))"
        case .noSyntheticBackup(let board): return "there is no synthetic backup in the shape of \(board)'s flash"
        }
    }

    public var fix: String? {
        switch self {
        case .noEmulation: return "rehearse with `ownerboot flash --dry-run` on the real programmer instead"
        case .backupSize, .noSyntheticBackup: return "pass --backup with the dump `ownerboot read` made of this chip"
        }
    }
}
