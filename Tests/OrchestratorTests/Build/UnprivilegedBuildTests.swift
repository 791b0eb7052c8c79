import Foundation
import Support
import Testing
@testable import Orchestrator

/// `ownerboot build` run by an ordinary user (issue 26, "builds as an ordinary user"): the
/// built binary builds a small board as a throwaway user (`runuser`), in an OWNERBOOT_HOME that
/// user owns, and every output is bit-identical to the same build run by root. One component
/// runs in the ordinary sandbox (bwrap's user namespace, the user as id 0), one in the multi-id
/// sandbox (newuidmap/newgidmap and the user's subordinate ids) and owns files as many ids.
///
/// Needs root to make the user (CI runs as root); run by anyone else it is skipped and says so.
@Suite(.serialized) struct UnprivilegedBuildTests {
    static let user = "ownerboot-nonroot"

    static let boardToml = """
        [board]
        name = "plain"

        [chip]
        name = "W25Q128.V"
        size = "16MiB"

        [buildenv]
        packages = ["busybox"]
        source_date_epoch = 1700000000

        [components.archive]
        builder = "archive.sh"
        inputs = ["note.txt"]

        [components.owners]
        builder = "owners.sh"
        inputs = ["archive"]
        sandbox = "multi-id"
        """

    /// Who the builder is and a tar that records owners and modes: the same bytes only if
    /// the builder ran as id 0 under both.
    static let archive = """
        id -u > /out/uid
        mkdir /build/tree
        cp /inputs/note.txt /build/tree/note.txt
        chmod 0640 /build/tree/note.txt
        touch -d @$SOURCE_DATE_EPOCH /build/tree/note.txt /build/tree
        tar -cf /out/tree.tar -C /build tree

        """

    /// Files of many ids in /out (recorded in a tar) and in /build (left for the cleanup,
    /// in a folder only its owner may enter).
    static let owners = """
        mkdir /build/tree /build/private
        tar -xf /inputs/archive/tree.tar -C /build
        chown 1000:100 /build/tree/note.txt
        chown 65534:65534 /build/tree
        touch -d @$SOURCE_DATE_EPOCH /build/tree
        tar -cf /out/owners.tar -C /build tree
        echo secret > /build/private/file
        chown -R 42:42 /build/private
        chmod 0700 /build/private
        mkdir /out/kept
        echo kept > /out/kept/file
        chown -R 1000:1000 /out/kept
        stat -c '%u:%g' /out/kept/file > /out/kept-owner

        """

    struct Skip: Error, CustomStringConvertible { var description: String }

    /// A folder holding the board and a home whose store has the build environment: busybox
    /// and the libraries it needs, copied from the host (no mmdebstrap run).
    static func makeHome(at base: URL) throws -> (boards: URL, home: URL) {
        let fm = FileManager.default
        let boards = base.appendingPathComponent("boards")
        let board = boards.appendingPathComponent("plain")
        let home = base.appendingPathComponent("home")
        try fm.createDirectory(at: board, withIntermediateDirectories: true)
        for (name, text) in [("board.toml", boardToml), ("archive.sh", archive), ("owners.sh", owners), ("note.txt", "a note\n")] {
            try Data(text.utf8).write(to: board.appendingPathComponent(name))
        }
        let store = try Store(home: home)
        let loaded = try BoardCatalog(directory: boards).load("plain")
        let lock = LockFile(board: "plain", request: LockFile.requestHash(for: loaded),
                            buildenv: .init(suite: "bookworm", mirror: "http://deb.debian.org/debian", variant: "buildd",
                                            packages: [.init(name: "busybox", version: "1:1.35.0-4+b3", architecture: "amd64", sha256: nil)]),
                            sources: [:])
        try lock.write(to: board.appendingPathComponent("ownerboot.lock"))
        let env = try BuildPlan.make(board: loaded, lock: lock, store: store).steps[0].derivation
        let root = try store.temporaryDirectory(for: env)
        for dir in ["usr/bin", "usr/lib/x86_64-linux-gnu", "usr/lib64", "etc", "inputs", "build", "out", "tmp", "proc", "dev"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        for link in ["bin", "sbin", "lib", "lib64"] {
            try fm.createSymbolicLink(atPath: root.appendingPathComponent(link).path, withDestinationPath: "usr/\(link)")
        }
        try fm.copyItem(atPath: "/usr/bin/busybox", toPath: root.appendingPathComponent("usr/bin/busybox").path)
        let libraries = try ProcessRunner().checked("ldd", ["/usr/bin/busybox"]).stdoutText
        for path in libraries.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init) where path.hasPrefix("/") {
            let real = (path as NSString).resolvingSymlinksInPath
            let target = path.contains("ld-linux") ? "usr/lib64/" + (path as NSString).lastPathComponent
                : "usr/lib/x86_64-linux-gnu/" + (path as NSString).lastPathComponent
            try fm.copyItem(atPath: real, toPath: root.appendingPathComponent(target).path)
        }
        for tool in ["sh", "id", "mkdir", "cp", "chmod", "chown", "touch", "tar", "echo", "stat", "cat"] {
            try fm.createSymbolicLink(atPath: root.appendingPathComponent("usr/bin/\(tool)").path, withDestinationPath: "busybox")
        }
        try store.install(root, as: env, seconds: 0, log: nil)
        return (boards, home)
    }

    static var binary: URL { RepositoryPaths.root.appendingPathComponent(".build/debug/ownerboot") }

    /// `ownerboot build board=plain --json` in `base`, as root or (`asUser`) through runuser.
    static func build(base: URL, home: URL, boards: URL, asUser: String?) throws -> (result: ProcessRunner.Result, summary: [String: Any]?) {
        let work = base.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        if let asUser { _ = try ProcessRunner().checked("chown", ["-R", "\(asUser):", base.path]) }
        let command = "cd \"$1\" && exec \"$2\" build board=plain --json"
        let environment = ["env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=\(base.path)",
                           "OWNERBOOT_HOME=\(home.path)", "OWNERBOOT_BOARDS=\(boards.path)", "sh", "-c", command, "sh", work.path, binary.path]
        let result = try ProcessRunner(timeout: 300).run(asUser == nil ? environment[0] : "runuser", asUser.map { ["-u", $0, "--"] + environment } ?? Array(environment.dropFirst()))
        let summary = (try? JSONSerialization.jsonObject(with: result.stdout)) as? [String: Any]
        return (result, summary)
    }

    /// The throwaway user (made once, kept for later runs; useradd gives it subordinate ids).
    static func ensureUser() throws {
        if getpwnam(user) != nil { return }
        _ = try ProcessRunner().checked("useradd", ["--system", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", user])
        if (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8))?.contains("\(user):") != true {
            // --system users get no range by default: give it one past every range listed.
            let ranges = ((try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? "") + ((try? String(contentsOfFile: "/etc/subgid", encoding: .utf8)) ?? "")
            let end = ranges.split(separator: "\n").compactMap { line -> Int? in
                let f = line.split(separator: ":"); return f.count == 3 ? (Int(f[1]) ?? 0) + (Int(f[2]) ?? 0) : nil
            }.max() ?? 100000
            let start = max(end, 100000)
            _ = try ProcessRunner().checked("usermod", ["--add-subuids", "\(start)-\(start + 65535)", "--add-subgids", "\(start)-\(start + 65535)", user])
        }
    }

    @Test func anOrdinaryUserBuildsTheSameOutputsAsRoot() throws {
        guard getuid() == 0 else {
            print("UnprivilegedBuildTests skipped: making the throwaway user needs root (CI runs as root)")
            return
        }
        try #require(FileManager.default.isExecutableFile(atPath: Self.binary.path), "build it first: swift build --build-tests")
        try #require(FileManager.default.isExecutableFile(atPath: "/usr/bin/newuidmap"), "the multi-id build as a user needs newuidmap: bash scripts/setup.sh installs uidmap")
        try Self.ensureUser()
        let top = URL(fileURLWithPath: "/tmp/ownerboot-nonroot-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: top, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(at: top) }

        let rootBase = top.appendingPathComponent("root")
        let userBase = top.appendingPathComponent("user")
        let asRoot = try Self.makeHome(at: rootBase)
        let asUser = try Self.makeHome(at: userBase)
        let byRoot = try Self.build(base: rootBase, home: asRoot.home, boards: asRoot.boards, asUser: nil)
        #expect(byRoot.result.succeeded, "root: \(byRoot.result.stderrText)")
        let byUser = try Self.build(base: userBase, home: asUser.home, boards: asUser.boards, asUser: Self.user)
        #expect(byUser.result.succeeded, "\(Self.user): \(byUser.result.stderrText)")
        let rootOutputs = try #require(byRoot.summary?["outputs"] as? [String: String])
        let userOutputs = try #require(byUser.summary?["outputs"] as? [String: String])
        #expect(byRoot.summary?["setHash"] as? String == byUser.summary?["setHash"] as? String)
        #expect(Set(rootOutputs.keys) == ["archive", "owners"])
        for name in rootOutputs.keys.sorted() {
            let first = URL(fileURLWithPath: rootOutputs[name]!), second = URL(fileURLWithPath: try #require(userOutputs[name]))
            let differences = try TreeHash.differences(first, second)
            #expect(try TreeHash.hash(of: first) == TreeHash.hash(of: second), "\(name) differs: \(differences)")
        }
        // Both ran as id 0, and the multi-id builder gave files to ids 1000 and 65534 inside.
        let archive = URL(fileURLWithPath: userOutputs["archive"]!)
        #expect(try String(contentsOf: archive.appendingPathComponent("uid"), encoding: .utf8) == "0\n")
        let owners = URL(fileURLWithPath: userOutputs["owners"]!)
        #expect(try String(contentsOf: owners.appendingPathComponent("kept-owner"), encoding: .utf8) == "1000:1000\n")
        let listing = try ProcessRunner().checked("tar", ["-tvf", owners.appendingPathComponent("owners.tar").path, "--numeric-owner"]).stdoutText
        #expect(listing.contains("65534/65534") && listing.contains("1000/100"), "\(listing)")
        // On the host the user's store holds only the user's files, and no build folder is left
        // behind (the multi-id one held a folder of id 42 the user alone could not remove).
        let uid = getpwnam(Self.user)!.pointee.pw_uid
        let foreign = try ProcessRunner().checked("find", [asUser.home.path, "!", "-uid", "\(uid)"]).stdoutText
        #expect(foreign.isEmpty, "owned by another id: \(foreign)")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: asUser.home.appendingPathComponent("store/.tmp").path)
        #expect(leftovers.isEmpty, "left in store/.tmp: \(leftovers)")
    }

    @Test func theRefusalsNameTheirFix() throws {
        let missing = UnprivilegedError.noSubordinateIDs(user: "alice", file: "/etc/subuid", found: "it has no line for alice")
        #expect(missing.description.contains("/etc/subuid") && missing.description.contains("scripts/setup.sh") && missing.description.contains("usermod --add-subuids"))
        let folder = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let subuid = folder.appendingPathComponent("subuid")
        try Data("bob:100000:65536\nalice:200000:1000\n".utf8).write(to: subuid)
        #expect(throws: UnprivilegedError.noSubordinateIDs(user: "alice", file: subuid.path, found: "its ranges (200000+1000) are shorter than 65535")) {
            try SubordinateIDs.first(in: subuid.path, name: "alice", id: 1001)
        }
        #expect(try SubordinateIDs.first(in: subuid.path, name: "bob", id: 1002) == 100000)
        // The kernel's switches, from a /proc/sys of our own.
        let proc = folder.appendingPathComponent("sys")
        try FileManager.default.createDirectory(at: proc.appendingPathComponent("kernel"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: proc.appendingPathComponent("user"), withIntermediateDirectories: true)
        try Data("0\n".utf8).write(to: proc.appendingPathComponent("kernel/unprivileged_userns_clone"))
        #expect(throws: UnprivilegedError.userNamespacesDisabled(sysctl: "kernel.unprivileged_userns_clone", value: "0")) {
            try UserNamespaceSupport.check(proc: proc.path)
        }
        try Data("1\n".utf8).write(to: proc.appendingPathComponent("kernel/unprivileged_userns_clone"))
        try Data("0\n".utf8).write(to: proc.appendingPathComponent("user/max_user_namespaces"))
        let disabled = UnprivilegedError.userNamespacesDisabled(sysctl: "user.max_user_namespaces", value: "0")
        #expect(throws: disabled) { try UserNamespaceSupport.check(proc: proc.path) }
        #expect(disabled.description.contains("sysctl -w user.max_user_namespaces="))
        #expect(UnprivilegedError.idMapToolMissing(tool: "newuidmap").description.contains("apt-get install uidmap"))
    }

    @Test func rootsSandboxIsUnchanged() throws {
        // Run by root the arguments are what they were (no --uid/--gid); a user's add id 0.
        let invocation = Sandbox.Invocation(root: URL(fileURLWithPath: "/r"), builder: URL(fileURLWithPath: "/b.sh"), inputs: [],
                                            buildDirectory: URL(fileURLWithPath: "/build"), outputDirectory: URL(fileURLWithPath: "/out"),
                                            environment: [:], log: URL(fileURLWithPath: "/log"))
        var sandbox = Sandbox()
        sandbox.unprivileged = false
        #expect(!sandbox.arguments(invocation).contains("--uid"))
        sandbox.unprivileged = true
        let args = sandbox.arguments(invocation)
        #expect(args.firstIndex(of: "--uid").map { args[$0 + 1] } == "0" && args.firstIndex(of: "--gid").map { args[$0 + 1] } == "0")
        #expect(MultiIDNamespace.holderScript == MultiIDNamespace.holderScript(innerMapping: "0 0 65536"))
        #expect(MultiIDNamespace.holderScript.contains("echo \"0 0 65536\" > /proc/$inner/uid_map"))
    }
}
