import Foundation

/// Where ownerboot keeps its state: the store, the index, the inventory, backups.
/// `OWNERBOOT_HOME` overrides the default `~/.local/share/ownerboot`.
public enum OwnerbootHome {
    public static func url(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let path = environment["OWNERBOOT_HOME"], !path.isEmpty { return URL(fileURLWithPath: path) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/ownerboot")
    }
}
