import Foundation
import GRDB
import Support

/// Why the store could not do its job.
public enum StoreError: UserFacingError, Equatable {
    case lockFailed(path: String)

    public var message: String {
        switch self {
        case .lockFailed(let path): return "cannot lock \(path)"
        }
    }

    public var fix: String? { "check the permissions of OWNERBOOT_HOME (default ~/.local/share/ownerboot)" }
}
