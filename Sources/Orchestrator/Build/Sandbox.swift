import Foundation
import Support

/// Runs one builder script under bubblewrap exactly as docs/reference/builder-contract.md says: the
/// build environment read-only as `/`, each input read-only at `/inputs/<name>`, a fresh
/// `/build` and `/out`, no network, a cleared environment with fixed values, umask 022.
///
/// Every builder runs in a user namespace of its own with no capability at all (`--cap-drop
/// ALL`) and cannot make another user namespace (`--disable-userns`): a builder run by root can
/// neither remount an input, the build environment or `/` writable nor leave a file owned by
/// another user.
///
/// A builder that must own files as many users (mmdebstrap unpacking a Debian system: `_apt`,
/// `sshd`, setgid `shadow` files) runs with `multiID`: the same sandbox inside a user namespace
/// with ids 0–65535 mapped to themselves, which ownerboot creates and maps (`MultiIDNamespace`:
/// its parent namespace allows that one child only, so no further user namespace can be made
/// inside). bwrap's own user namespace maps only id 0, where `chown` to any other id fails. The
/// multi-id builder keeps `multiIDCapabilities`, `CAP_SYS_ADMIN` among them: inside its own
/// namespaces it could remount an input writable, which `InputGuard` catches after the run.
///
/// Run by an ordinary user (`unprivileged`), bwrap (not setuid) makes the same namespaces as
/// that user, and `--uid 0 --gid 0` maps the user to id 0 inside, so a builder sees what it sees
/// under root and its output is the same; the kernel's user-namespace settings are checked
/// first (`UserNamespaceSupport`), and the multi-id namespace maps the user's subordinate ids.
public struct Sandbox: Sendable {
    public struct Invocation: Sendable {
        public var root: URL
        public var builder: URL
        /// name → host path, bound read-only at /inputs/<name>
        public var inputs: [(name: String, path: URL)]
        public var buildDirectory: URL
        public var outputDirectory: URL
        public var environment: [String: String]
        public var log: URL
        public var timeout: Double
        /// Host folders bound read-only over the root (tests only: they borrow the host's
        /// /usr instead of a pinned build environment, to stay fast).
        public var extraReadOnlyBinds: [(host: String, sandbox: String)] = []
        /// Run inside a user namespace mapping ids 0–65535 (see the type's comment).
        public var multiID = false

        public init(root: URL, builder: URL, inputs: [(name: String, path: URL)], buildDirectory: URL, outputDirectory: URL, environment: [String: String], log: URL, timeout: Double = 7200) {
            self.root = root
            self.builder = builder
            self.inputs = inputs
            self.buildDirectory = buildDirectory
            self.outputDirectory = outputDirectory
            self.environment = environment
            self.log = log
            self.timeout = timeout
        }
    }

    /// The fixed part of every builder's environment (the rest comes from the component).
    public static func baseEnvironment(sourceDateEpoch: Int, jobs: Int, board: String) -> [String: String] {
        [
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/build", "TMPDIR": "/tmp",
            "TZ": "UTC", "LC_ALL": "C", "SOURCE_DATE_EPOCH": "\(sourceDateEpoch)", "out": "/out", "JOBS": "\(jobs)", "BOARD": board,
        ]
    }

    /// True when ownerboot is not root (see the type's comment); root's sandbox is unchanged.
    public var unprivileged: Bool

    public init() { unprivileged = UserNamespaceSupport.unprivileged }

    /// What the multi-id builder keeps (measured with mmdebstrap --mode=root and the OS
    /// builder, docs/reference/builder-contract.md): mounting /proc, /sys and the repository
    /// into its chroot (`SYS_ADMIN`, over its own mount namespace), `chroot`, files owned by many users
    /// with their setuid/setgid bits and file capabilities (`CHOWN`, `FOWNER`, `FSETID`,
    /// `SETFCAP`, `DAC_OVERRIDE`), and maintainer scripts and apt that switch users (`SETUID`,
    /// `SETGID`). All of them count only inside the builder's own user namespace.
    public static let multiIDCapabilities = [
        "CAP_SYS_ADMIN", "CAP_SYS_CHROOT", "CAP_CHOWN", "CAP_FOWNER", "CAP_FSETID", "CAP_SETFCAP",
        "CAP_DAC_OVERRIDE", "CAP_SETUID", "CAP_SETGID",
    ]

    public func arguments(_ invocation: Invocation) -> [String] {
        // Not --unshare-all: its user namespace is only tried (`--unshare-user-try`), and
        // --disable-userns needs one for sure.
        let others = ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
        let namespaces = invocation.multiID
            // MultiIDNamespace already forbade further user namespaces: bwrap checks it.
            ? ["--userns", "3", "--assert-userns-disabled"] + others
                + ["--cap-drop", "ALL"] + Self.multiIDCapabilities.flatMap { ["--cap-add", $0] }
            : ["--unshare-user", "--disable-userns"] + others + ["--cap-drop", "ALL"]
        // An ordinary user is id 0 inside, as root is (bwrap would keep the user's own id).
        let identity = unprivileged ? ["--uid", "0", "--gid", "0"] : []
        var args = namespaces + identity + [
            "--die-with-parent", "--clearenv", "--new-session",
            "--ro-bind", invocation.root.path, "/",
        ]
        for bind in invocation.extraReadOnlyBinds { args += ["--ro-bind", bind.host, bind.sandbox] }
        args += [
            "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp",
            // A tmpfs at /inputs gives the read-only root a place for the input mount points.
            "--tmpfs", "/inputs",
            "--ro-bind", invocation.builder.path, "/inputs/builder.sh",
        ]
        for input in invocation.inputs.sorted(by: { $0.name < $1.name }) {
            args += ["--ro-bind", input.path.path, "/inputs/\(input.name)"]
        }
        args += ["--bind", invocation.buildDirectory.path, "/build", "--bind", invocation.outputDirectory.path, "/out", "--chdir", "/build"]
        for key in invocation.environment.keys.sorted() {
            args += ["--setenv", key, invocation.environment[key]!]
        }
        return args + ["/bin/sh", "-c", "umask 022; exec /bin/sh -eu /inputs/builder.sh"]
    }

    /// Runs the builder; its output and errors go to the log. Throws with the log's tail.
    public func run(_ invocation: Invocation, name: String) throws {
        // The builder writes straight into its log, so progress can show the log's last line
        // while it runs.
        try FileManager.default.createDirectory(at: invocation.log.deletingLastPathComponent(), withIntermediateDirectories: true)
        let runner = ProcessRunner(timeout: invocation.timeout, combinedOutput: invocation.log)
        let result: ProcessRunner.Result
        if unprivileged { try UserNamespaceSupport.check() }
        if invocation.multiID {
            let namespace = try MultiIDNamespace(unprivileged: unprivileged)
            defer {
                namespace.settle(build: invocation.buildDirectory, output: invocation.outputDirectory)
                namespace.end()
            }
            // bwrap reads the namespace from fd 3; the shell opens it and becomes bwrap.
            result = try runner.run("sh", ["-c", "exec bwrap \"$@\" 3<\(namespace.path)", "sh"] + arguments(invocation))
        } else {
            result = try runner.run("bwrap", arguments(invocation))
        }
        let log = result.stdout
        if result.timedOut { throw BuildError.timedOut(derivation: name, seconds: invocation.timeout, log: invocation.log.path) }
        if result.status != 0 {
            let tail = String(decoding: log, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).suffix(25).joined(separator: "\n")
            throw BuildError.builderFailed(derivation: name, status: result.status, log: invocation.log.path, tail: tail)
        }
    }
}
