import Foundation
import Support

/// A user namespace with ids 0–65535 mapped to themselves, held open by a sleeping process
/// until `end()`: what `Sandbox` lets bwrap join for builders that own files as many users.
///
/// It is made in two steps, so that nothing inside can make a user namespace of its own (the
/// multi-id builder keeps capabilities there; a namespace of its own would give it all of
/// them): an outer namespace, mapped by the parent (ownerboot, root on the host, which a
/// process inside cannot do for more than its own id), whose `user.max_user_namespaces` the
/// holder sets to 1 and then spends on the inner namespace (mapped by the holder, from the
/// outer one). Every namespace below counts against the outer one's limit, so the builder's
/// `unshare --user` fails (bwrap `--assert-userns-disabled` checks it). `uidmap`'s setuid
/// helpers are not needed.
struct MultiIDNamespace {
    let holder: Process
    /// The sleeping process inside the inner namespace.
    let inner: pid_t
    /// `/proc/<pid>/ns/user` of the inner namespace, which bwrap joins.
    var path: String { "/proc/\(inner)/ns/user" }

    static let mapping = "0 0 65536\n"

    /// Runs in the outer namespace: waits for its map, re-executes (a process gains its
    /// capabilities in a namespace at exec once its id is mapped), limits the namespaces below
    /// to one, makes and maps that one, prints its pid and waits.
    static let holderScript = """
        n=0; while [ -z "$(cat /proc/self/uid_map)" ]; do n=$((n+1)); [ $n -lt 500 ] || exit 3; sleep 0.01; done
        exec /bin/sh -c '
        echo 1 > /proc/sys/user/max_user_namespaces || exit 4
        unshare --user sleep 86400 >/dev/null & inner=$!
        n=0; while [ "$(readlink /proc/$inner/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do n=$((n+1)); [ $n -lt 500 ] || exit 5; sleep 0.01; done
        echo "0 0 65536" > /proc/$inner/uid_map && echo "0 0 65536" > /proc/$inner/gid_map || exit 6
        echo $inner
        exec 1>&-
        wait'
        """

    init() throws {
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["--user", "/bin/sh", "-c", Self.holderScript]
        let pipe = Pipe()
        holder.standardInput = FileHandle.nullDevice
        holder.standardOutput = pipe
        holder.standardError = FileHandle.nullDevice
        try holder.run()
        self.holder = holder
        let pid = holder.processIdentifier
        func fail(_ detail: String) -> BuildError {
            if holder.isRunning { kill(pid, SIGKILL) }
            holder.waitUntilExit()
            return BuildError.sandboxSetup(detail: detail)
        }
        // unshare(2) happens just after the start: wait until the holder's namespace differs
        // from ours (bounded: 5 s) before mapping it.
        let own = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/user")
        var waited = 0
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/user")) == own {
            guard holder.isRunning, waited < 500 else {
                throw fail("unshare --user did not make a user namespace (is unprivileged or root user-namespace creation disabled?)")
            }
            usleep(10_000)
            waited += 1
        }
        for file in ["uid_map", "gid_map"] {
            do { try Data(Self.mapping.utf8).write(to: URL(fileURLWithPath: "/proc/\(pid)/\(file)")) } catch {
                throw fail("could not write /proc/\(pid)/\(file) (\(error.localizedDescription)); multi-id builders need ownerboot to run as root")
            }
        }
        // The holder prints the inner pid and closes its output (bounded by its own loops).
        let line = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let innerPID = pid_t(line), innerPID > 0 else {
            throw fail("the namespace holder could not limit and map the inner user namespace (\(holder.isRunning ? "no pid" : "exit status \(holder.terminationStatus)"))")
        }
        inner = innerPID
    }

    func end() {
        kill(inner, SIGKILL)
        if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }
        holder.waitUntilExit()
    }
}
