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
/// `unshare --user` fails (bwrap `--assert-userns-disabled` checks it). Run by root, `uidmap`'s
/// setuid helpers are not needed.
///
/// Run by an ordinary user (`unprivileged`), the outer namespace is mapped by `newgidmap` and
/// `newuidmap`: id 0 to the user, ids 1–65535 to the user's subordinate ids (/etc/subuid,
/// /etc/subgid); the inner one maps 0–65535 to those, in the same two extents (a range of a map
/// must fall within one extent of its parent's). Inside, the ids are 0–65535 as with root;
/// on the host, a file a builder gave to id N ≠ 0 belongs to the Nth subordinate id, which the
/// user cannot remove: `settle` empties the build folder and gives the output back to the user
/// from inside the namespace before it ends.
struct MultiIDNamespace {
    let holder: Process
    /// The sleeping process inside the inner namespace.
    let inner: pid_t
    /// `/proc/<pid>/ns/user` of the inner namespace, which bwrap joins.
    var path: String { "/proc/\(inner)/ns/user" }

    static let mapping = "0 0 65536\n"
    /// The inner namespace's map when the outer one is the user's (0 → the user, 1–65535 → the
    /// subordinate ids): the same ids, in the outer map's two extents.
    static let unprivilegedInnerMapping = "0 0 1\n1 1 65535"

    /// Runs in the outer namespace: waits for its map, re-executes (a process gains its
    /// capabilities in a namespace at exec once its id is mapped), limits the namespaces below
    /// to one, makes and maps that one, prints its pid and waits.
    static let holderScript = holderScript(innerMapping: "0 0 65536")

    static func holderScript(innerMapping map: String) -> String {
        """
        n=0; while [ -z "$(cat /proc/self/uid_map)" ]; do n=$((n+1)); [ $n -lt 500 ] || exit 3; sleep 0.01; done
        exec /bin/sh -c '
        echo 1 > /proc/sys/user/max_user_namespaces || exit 4
        unshare --user sleep 86400 >/dev/null & inner=$!
        n=0; while [ "$(readlink /proc/$inner/ns/user)" = "$(readlink /proc/self/ns/user)" ]; do n=$((n+1)); [ $n -lt 500 ] || exit 5; sleep 0.01; done
        echo "\(map)" > /proc/$inner/uid_map && echo "\(map)" > /proc/$inner/gid_map || exit 6
        echo $inner
        exec 1>&-
        wait'
        """
    }

    /// Whether the user's subordinate ids make the outer map (see the type's comment).
    let unprivileged: Bool

    init(unprivileged: Bool = UserNamespaceSupport.unprivileged) throws {
        self.unprivileged = unprivileged
        // An ordinary user's prerequisites, checked before anything starts.
        let helpers = unprivileged ? try UserNamespaceSupport.idMapTools() : nil
        let subordinate = unprivileged ? try SubordinateIDs.forCurrentUser() : nil
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        holder.arguments = ["--user", "/bin/sh", "-c", unprivileged ? Self.holderScript(innerMapping: Self.unprivilegedInnerMapping) : Self.holderScript]
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
        if let helpers, let subordinate {
            // The gid map first: the holder goes on as soon as it sees its uid map.
            for (tool, own, first) in [(helpers.gid, getgid(), subordinate.gid), (helpers.uid, getuid(), subordinate.uid)] {
                let result = try ProcessRunner(timeout: 30).run(tool, ["\(pid)", "0", "\(own)", "1", "1", "\(first)", "\(SubordinateIDs.count)"])
                guard result.succeeded else {
                    throw fail("\(tool) \(pid) 0 \(own) 1 1 \(first) \(SubordinateIDs.count) failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)) (are ids \(first)–\(UInt64(first) + UInt64(SubordinateIDs.count) - 1) the user's in /etc/subuid and /etc/subgid?)")
                }
            }
        } else {
            for file in ["uid_map", "gid_map"] {
                do { try Data(Self.mapping.utf8).write(to: URL(fileURLWithPath: "/proc/\(pid)/\(file)")) } catch {
                    throw fail("could not write /proc/\(pid)/\(file) (\(error.localizedDescription)); multi-id builders need ownerboot to run as root")
                }
            }
        }
        // The holder prints the inner pid and closes its output (bounded by its own loops).
        let line = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let innerPID = pid_t(line), innerPID > 0 else {
            throw fail("the namespace holder could not limit and map the inner user namespace (\(holder.isRunning ? "no pid" : "exit status \(holder.terminationStatus)"))")
        }
        inner = innerPID
    }

    /// Run by an ordinary user, before `end`: from inside the namespace (where the user may
    /// remove and chown files of any of its ids), empties `build` and gives every entry of
    /// `output` to id 0, the user, except setuid/setgid files, which `OutputCheck` refuses by
    /// name. Root's namespace leaves both as they are (root removes anything).
    func settle(build: URL, output: URL) {
        guard unprivileged else { return }
        let script = """
            find "$1" -mindepth 1 -maxdepth 1 -exec rm -rf -- {} +
            find "$2" \\( ! -user 0 -o ! -group 0 \\) ! -perm /6000 -exec chown -h 0:0 -- {} +
            """
        _ = try? ProcessRunner(timeout: 600).run("nsenter", ["--user=\(path)", "--", "/bin/sh", "-c", script, "sh", build.path, output.path])
    }

    func end() {
        kill(inner, SIGKILL)
        if holder.isRunning { kill(holder.processIdentifier, SIGKILL) }
        holder.waitUntilExit()
    }
}
