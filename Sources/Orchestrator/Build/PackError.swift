import Boot
import Foundation
import Support

public enum PackError: UserFacingError, Equatable {
    case noTree(path: String)
    case unreadable(path: String)
    case unsupported(path: String)
    case badDevice(line: String)

    public var message: String {
        switch self {
        case .noTree(let path): return "the builder left no folder \(path) to pack"
        case .unreadable(let path): return "cannot read \(path) while packing"
        case .unsupported(let path): return "\(path) is neither a file, a folder nor a symlink"
        case .badDevice(let line): return "device '\(line)' is not of the form \"PATH c|b MAJOR MINOR\""
        }
    }

    public var fix: String? { "fix the builder or the component's pack table in board.toml" }
}
