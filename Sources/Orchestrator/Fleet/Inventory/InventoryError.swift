import Support

/// What can go wrong with the fleet inventory.
public enum InventoryError: UserFacingError, Equatable {
    case deviceExists(name: String)
    case unknownDevice(name: String, suggestion: String?)
    case badExport(file: String, reason: String)

    public var message: String {
        switch self {
        case .deviceExists(let name): return "a device named '\(name)' is already in the inventory"
        case .unknownDevice(let name, _): return "no device named '\(name)' in the inventory"
        case .badExport(let file, let reason): return "\(file): not an ownerboot inventory export: \(reason)"
        }
    }

    public var fix: String? {
        switch self {
        case .deviceExists: return "choose another name, or `ownerboot fleet remove NAME` first"
        case .unknownDevice(_, let suggestion):
            return suggestion.map { "did you mean '\($0)'? (`ownerboot fleet list`)" } ?? "`ownerboot fleet add NAME board=BOARD` adds it"
        case .badExport: return "export it again with `ownerboot fleet export -o FILE`"
        }
    }
}
