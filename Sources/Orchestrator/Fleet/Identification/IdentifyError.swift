import Boot
import Foundation
import Support

public enum IdentifyError: UserFacingError, Equatable {
    case unreadable(path: String)

    public var message: String {
        switch self {
        case .unreadable(let path): return "cannot read the dump \(path)"
        }
    }

    public var fix: String? { "check the path; read a chip with `ownerboot read --programmer P -o dump.rom`" }
}
