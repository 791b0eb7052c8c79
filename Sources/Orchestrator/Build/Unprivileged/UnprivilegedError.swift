import Foundation
import Support

/// Why a build run by an ordinary (non-root) user cannot make its sandbox; each names the fix.
public enum UnprivilegedError: UserFacingError, Equatable {
    /// The kernel refuses user namespaces to ordinary users: `sysctl` names the setting.
    case userNamespacesDisabled(sysctl: String, value: String)
    /// A multi-id builder needs 65535 subordinate ids of the user in /etc/subuid or /etc/subgid.
    case noSubordinateIDs(user: String, file: String, found: String)
    /// newuidmap or newgidmap (Debian package uidmap) is not installed, or not setuid root.
    case idMapToolMissing(tool: String)
    /// Making a build environment (mmdebstrap) is not done as an ordinary user yet.
    case buildEnvironmentNeedsRoot(board: String)

    public var message: String {
        switch self {
        case .userNamespacesDisabled(let sysctl, let value):
            return "ownerboot runs as an ordinary user, and this kernel does not let ordinary users make user namespaces (\(sysctl) = \(value)): builders cannot be sandboxed"
        case .noSubordinateIDs(let user, let file, let found):
            return "a multi-id builder (the Debian OS) run by \(user) needs 65535 subordinate ids of \(user) in \(file): \(found)"
        case .idMapToolMissing(let tool):
            return "a multi-id builder (the Debian OS) run by an ordinary user maps its ids with \(tool), which is not installed"
        case .buildEnvironmentNeedsRoot(let board):
            return "\(board)'s build environment is not in this store, and an ordinary user cannot make one yet (mmdebstrap would leave files of subordinate ids in the store)"
        }
    }

    public var fix: String? {
        switch self {
        case .userNamespacesDisabled(let sysctl, let value):
            let wanted = sysctl == "user.max_user_namespaces" ? "a number above 0 (e.g. `sysctl -w user.max_user_namespaces=15000`)"
                : sysctl == "kernel.apparmor_restrict_unprivileged_userns" ? "0 (`sysctl -w \(sysctl)=0`)" : "1 (`sysctl -w \(sysctl)=1`)"
            return "as root, set \(sysctl) to \(wanted) (was \(value); persist it in /etc/sysctl.d/), or run ownerboot as root"
        case .noSubordinateIDs(let user, let file, _):
            return "run `sudo bash scripts/setup.sh` (it adds a range of 65536 ids for the user who ran sudo to /etc/subuid and /etc/subgid), or as root `usermod --add-subuids 100000-165535 --add-subgids 100000-165535 \(user)` with a range no other user in \(file) has"
        case .idMapToolMissing(let tool):
            return "install the uidmap package (`apt-get install uidmap`, or `bash scripts/setup.sh` as root), which provides \(tool)"
        case .buildEnvironmentNeedsRoot:
            return "run this build as root for now (`sudo ownerboot build board=…`); once a store holds the build environment, its builders run sandboxed the same way for root and ordinary users"
        }
    }
}
