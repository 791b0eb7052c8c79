import Support

/// What can be wrong with a board or its file. Each case names the file and, where the
/// TOML shows it, the line and key, and says how to fix it.
public enum BoardError: UserFacingError, Equatable {
    /// `source` names where the path came from: "--boards-dir", "OWNERBOOT_BOARDS", the config file.
    case boardsDirectoryMissing(path: String, source: String)
    case noBoardsDirectory(searchedFrom: String, configFile: String?)
    case unknownBoard(name: String, known: [String], suggestion: String?)
    case unreadable(file: String, reason: String)
    case syntax(file: String, line: Int, column: Int, reason: String)
    case unknownKey(file: String, line: Int?, key: String, suggestion: String?)
    case missingKey(file: String, key: String)
    case wrongType(file: String, line: Int?, key: String, expected: String)
    case invalidValue(file: String, line: Int?, key: String, value: String, expected: String)
    case missingFile(file: String, line: Int?, key: String, path: String)
    /// `[chipset_protect]` claims a lock whose Kconfig lines `config` does not carry.
    case protectionNotConfigured(file: String, line: Int?, config: String, missing: [String])
    /// `[board] profile` or `[profile] extends` names a profile no folder holds.
    case unknownProfile(file: String, line: Int?, name: String, searched: [String], known: [String])
    /// A symbolic link in a board or recipe folder that points nowhere (found when it is copied).
    case danglingLink(path: String)
    /// A symbolic link in a board or recipe folder whose target leaves that folder (the boards
    /// folder, the recipe layer) or is absolute: a snapshot would carry the file it points to.
    case linkLeavesFolder(path: String, target: String, folder: String)
    /// A chain of links longer than the kernel follows, or a folder link to a folder that holds it.
    case linkLoop(path: String, target: String)
    /// A folder to snapshot holds more entries than a snapshot may (links multiplying folders).
    case tooManyFiles(folder: String, limit: Int)

    public var message: String {
        switch self {
        case .boardsDirectoryMissing(let path, let source):
            return "no boards directory at \(path) (named by \(source))"
        case .noBoardsDirectory(let searched, let config):
            return "no boards directory: no boards/ in \(searched) or any folder above it, OWNERBOOT_BOARDS is not set"
                + (config.map { ", and \($0) names none" } ?? "")
        case .unknownBoard(let name, let known, _):
            return "unknown board '\(name)'; known boards: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))"
        case .unreadable(let file, let reason):
            return "\(file): cannot read: \(reason)"
        case .syntax(let file, let line, let column, let reason):
            return "\(file):\(line):\(column): TOML syntax error: \(reason)"
        case .unknownKey(let file, let line, let key, _):
            return "\(Self.place(file, line)): unknown key '\(key)'"
        case .missingKey(let file, let key):
            return "\(file): missing required key '\(key)'"
        case .wrongType(let file, let line, let key, let expected):
            return "\(Self.place(file, line)): '\(key)' must be \(expected)"
        case .invalidValue(let file, let line, let key, let value, let expected):
            return "\(Self.place(file, line)): '\(key)' = \(value) is not valid: expected \(expected)"
        case .missingFile(let file, let line, let key, let path):
            return "\(Self.place(file, line)): '\(key)' names \(path), which does not exist"
        case .protectionNotConfigured(let file, let line, let config, let missing):
            return "\(Self.place(file, line)): [chipset_protect] says the firmware locks the flash, but \(config) lacks \(missing.joined(separator: ", "))"
        case .danglingLink(let path):
            return "\(path) is a symbolic link to nothing"
        case .linkLeavesFolder(let path, let target, let folder):
            return "\(path) is a symbolic link to \(target), which leads outside \(folder): a board snapshot (and a bundle exported from it) would carry that file"
        case .linkLoop(let path, let target):
            return "\(path) is a symbolic link to \(target) that loops (it leads back to itself or to a folder that holds it)"
        case .tooManyFiles(let folder, let limit):
            return "copying \(folder) for a board snapshot passed \(limit) files and folders"
        case .unknownProfile(let file, let line, let name, let searched, _):
            return "\(Self.place(file, line)): no profile '\(name)': no profiles/\(name).toml in \(searched.joined(separator: ", "))"
        }
    }

    public var fix: String? {
        switch self {
        case .boardsDirectoryMissing(_, let source):
            return "create it, or change \(source) to the folder holding your boards (one NAME/board.toml each)"
        case .noBoardsDirectory(_, let config):
            return "put `boards = \"/path/to/your/boards\"` in \(config ?? "$OWNERBOOT_HOME/config.toml"), set OWNERBOOT_BOARDS, pass --boards-dir, or run ownerboot inside a checkout that has boards/"
        case .unknownBoard(_, _, let suggestion):
            return suggestion.map { "did you mean '\($0)'? (`ownerboot boards` lists them)" } ?? "`ownerboot boards` lists the boards"
        case .unreadable:
            return "check the file exists and is readable"
        case .syntax:
            return "correct the TOML at that line"
        case .unknownKey(_, _, _, let suggestion):
            return suggestion.map { "did you mean '\($0)'?" } ?? "remove the key or check its spelling"
        case .missingKey(_, let key):
            return "add '\(key)' to the board file"
        case .wrongType:
            return "change the value's type"
        case .invalidValue:
            return "change the value"
        case .missingFile(let file, _, _, _):
            return "create the file, or fix the path: names are looked up in the board's folder, then the owner's recipe folders, then ownerboot's recipes (`ownerboot boards --resolved` lists them); \(file) wrote it"
        case .protectionNotConfigured(_, _, let config, let missing):
            return "add \(missing.joined(separator: " and ")) to \(config) (then rebuild the firmware), or remove [chipset_protect] and say in [board] protection what stays writable"
        case .danglingLink:
            return "point the link at an existing file or remove it (shared files belong in a recipe folder, not behind a link)"
        case .linkLeavesFolder:
            return "copy the file into the folder, or make the link relative to a file inside it; keys and other secrets never belong in a board or recipe folder"
        case .linkLoop:
            return "remove the link, or point it at a file or at a folder that does not hold it"
        case .tooManyFiles:
            return "look for folder links that copy the same files many times, and remove them"
        case .unknownProfile(_, _, let name, _, let known):
            let near = NearMiss.closest(to: name, in: known).map { "did you mean '\($0)'? " } ?? ""
            return near + "known profiles: \(known.isEmpty ? "(none)" : known.joined(separator: ", ")); an owner's own go in a recipe folder's profiles/ (`recipes` in config.toml or OWNERBOOT_RECIPES)"
        }
    }

    static func place(_ file: String, _ line: Int?) -> String {
        line.map { "\(file):\($0)" } ?? file
    }
}
