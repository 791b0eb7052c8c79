import Foundation
import Support

/// The first of 65535 subordinate user and group ids of the user running ownerboot (from
/// /etc/subuid and /etc/subgid, which `newuidmap`/`newgidmap` check): what a multi-id builder
/// run by an ordinary user maps ids 1–65535 of its namespace to (id 0 is the user).
struct SubordinateIDs: Equatable {
    var uid: UInt32
    var gid: UInt32

    /// How many ids a multi-id namespace maps besides the user's own.
    static let count: UInt32 = 65535

    /// The user's ranges, or an error naming the file, the user and the fix.
    static func forCurrentUser(subuid: String = "/etc/subuid", subgid: String = "/etc/subgid") throws -> SubordinateIDs {
        let uid = getuid()
        let name = UserNamespaceSupport.userName(uid)
        return SubordinateIDs(uid: try first(in: subuid, name: name, id: uid), gid: try first(in: subgid, name: name, id: uid))
    }

    /// The first id of a range of at least 65535 for `name` (or its numeric id) in `file`.
    static func first(in file: String, name: String, id: uid_t) throws -> UInt32 {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw UnprivilegedError.noSubordinateIDs(user: name, file: file, found: "\(file) does not exist or cannot be read")
        }
        var short: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, fields[0] == name || fields[0] == "\(id)",
                  let start = UInt32(fields[1]), let count = UInt32(fields[2]) else { continue }
            if count >= Self.count, start > 0 { return start }
            short.append("\(start)+\(count)")
        }
        throw UnprivilegedError.noSubordinateIDs(user: name, file: file,
                                                found: short.isEmpty ? "it has no line for \(name)" : "its ranges (\(short.joined(separator: ", "))) are shorter than 65535")
    }
}
