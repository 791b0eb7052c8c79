import Foundation
import Support

/// What a build run by an ordinary user needs from the host, checked before the first builder
/// runs so that a refusal names its fix: user namespaces for ordinary users (every builder's
/// sandbox is one) and, for multi-id builders, setuid `newuidmap`/`newgidmap` (package uidmap)
/// and subordinate ids. Root needs none of it and is never checked.
enum UserNamespaceSupport {
    /// True when ownerboot runs as an ordinary user (the sandbox maps that user to id 0).
    static var unprivileged: Bool { geteuid() != 0 }

    static func userName(_ uid: uid_t) -> String {
        guard let entry = getpwuid(uid), let name = entry.pointee.pw_name else { return "\(uid)" }
        return String(cString: name)
    }

    /// The sysctls that keep ordinary users out of user namespaces, and the value that does:
    /// Debian's kernels (`kernel.unprivileged_userns_clone`, absent elsewhere), every kernel
    /// (`user.max_user_namespaces`), Ubuntu's AppArmor restriction.
    static func check(proc: String = "/proc/sys") throws {
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: proc + "/" + path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if let value = read("kernel/unprivileged_userns_clone"), value == "0" {
            throw UnprivilegedError.userNamespacesDisabled(sysctl: "kernel.unprivileged_userns_clone", value: value)
        }
        if let value = read("user/max_user_namespaces"), value == "0" {
            throw UnprivilegedError.userNamespacesDisabled(sysctl: "user.max_user_namespaces", value: value)
        }
        if let value = read("kernel/apparmor_restrict_unprivileged_userns"), value == "1" {
            throw UnprivilegedError.userNamespacesDisabled(sysctl: "kernel.apparmor_restrict_unprivileged_userns", value: value)
        }
    }

    /// newuidmap and newgidmap (setuid root in Debian's uidmap; file capabilities elsewhere),
    /// found on the PATH or in /usr/bin.
    static func idMapTools() throws -> (uid: String, gid: String) {
        func find(_ tool: String) throws -> String {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
            for dir in path.split(separator: ":").map(String.init) + ["/usr/bin"] {
                let candidate = dir + "/" + tool
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
            throw UnprivilegedError.idMapToolMissing(tool: tool)
        }
        return (try find("newuidmap"), try find("newgidmap"))
    }
}
