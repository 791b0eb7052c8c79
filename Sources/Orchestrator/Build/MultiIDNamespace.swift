import Foundation
import Support

/// A user namespace with ids 0–65535 mapped to themselves, held open by a sleeping process
/// until `end()`: what `Sandbox` lets bwrap join for builders that own files as many users.
/// The parent (ownerboot, root on the host) writes the maps, which a process inside cannot do
/// for more than its own id; `uidmap`'s setuid helpers are not needed.
struct MultiIDNamespace {
    let process: Process
    /// `/proc/<pid>/ns/user` of the holder.
    var path: String { "/proc/\(process.processIdentifier)/ns/user" }

    static let mapping = "0 0 65536\n"

    init() throws {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["--user", "sleep", "86400"]
        holder.standardInput = FileHandle.nullDevice
        holder.standardOutput = FileHandle.nullDevice
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        process = holder
        let pid = holder.processIdentifier
        // unshare(2) happens just after the start: wait until the holder's namespace differs
        // from ours (bounded: 5 s) before mapping it.
        let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/user")
        var waited = 0
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/user")) == own {
            guard holder.isRunning, waited < 500 else {
                end()
                throw BuildError.sandboxSetup(detail: "unshare --user did not make a user namespace (is unprivileged or root user-namespace creation disabled?)")
            }
            usleep(10_000)
            waited += 1
        }
        for file in ["uid_map", "gid_map"] {
            do { try Data(Self.mapping.utf8).write(to: URL(fileURLWithPath: "/proc/\(pid)/\(file)")) } catch {
                end()
                throw BuildError.sandboxSetup(detail: "could not write /proc/\(pid)/\(file) (\(error.localizedDescription)); multi-id builders need ownerboot to run as root")
            }
        }
    }

    func end() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
