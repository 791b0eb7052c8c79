import Foundation
import Support
import Testing

/// A throwaway root in which the unlocker's stages (recipes/unlocker/init) run on the host under
/// the host's `busybox sh`, as PID 1 would run them in the initramfs: `chroot` into a folder
/// holding busybox with the same applets the recipe links (recipes/unlocker/unlocker.sh), the
/// real stage files at /init and /lib/ownerboot, the real ob-unattended, and stub tools
/// (cryptsetup, veritysetup, mount, switch_root, ob-kexec, ob-unlock, ...) that log every call to
/// /log/calls and act on a small described world under /stub:
///   /stub/luks/<device>/   uuid, passphrase, volume-key, tokens, token-<id>, token-opens
///   /stub/verity-hash      the root hash the verity image matches
///   /stub/verity-bad-block the first 4 MiB of the verity root do not read back
///   /stub/os/              the OS tree that appears when /dev/mapper/os (or root) is mounted
///   /stub/typed            what is typed on the console, one line per read
/// The block devices are real nodes (mknod; nothing ever opens them: the stubs only look at
/// their names), so the stages' own `[ -b ]` tests run unchanged. /init's only line that the
/// host cannot play, the redirection of the console, reads /stub/typed instead; everything
/// else in /init and the stages runs as written. Needs root (chroot, mknod), as tier 1 does.
struct UnlockerRoot {
    let root: URL

    static let recipe = RepositoryPaths.root.appendingPathComponent("recipes/unlocker")
    static let consoleLine = "exec 0</dev/console 1>/dev/console 2>&1"
    static let rootUUID = "6c1f0d5e-0000-4000-8000-00000000a001"
    static let stateUUID = "6c1f0d5e-0000-4000-8000-00000000a002"
    static let passphrase = "correct horse battery staple"
    static let rootHash = String(repeating: "ab", count: 32)
    static let kernelRelease = "6.1.0-27-amd64"
    /// The command line rom.sh gives a verity OS on a board with normal/fallback firmware.
    static let verityCommandLine = "console=ttyS0,115200 quiet ownerboot.board=qemu-x86 ownerboot.generation=7 ownerboot.set=5e7 "
        + "ownerboot.half=fallback ownerboot.root_uuid=\(rootUUID) ownerboot.verity=\(rootHash) ownerboot.verity_offset=1048576 ownerboot.state_uuid=\(stateUUID)"

    /// A stage-1 root: /dev/vda (no LUKS), /dev/vda1 the root container, /dev/vda2 the state
    /// container, both opened by `passphrase`; an OS tree with systemd's absolute /sbin/init link.
    init(commandLine: String = Self.verityCommandLine) throws {
        root = try RepositoryPaths.temporaryDirectory()
        for dir in ["bin", "sbin", "dev/mapper", "proc", "sys", "run", "tmp", "mnt/root", "etc", "lib64", "lib/ownerboot", "log", "stub/os"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try installBusybox()
        try write("init", try String(contentsOf: Self.recipe.appendingPathComponent("init/init"), encoding: .utf8), mode: 0o755)
        let stages = try FileManager.default.contentsOfDirectory(atPath: Self.recipe.appendingPathComponent("init").path).filter { $0.hasSuffix(".sh") }
        for stage in stages {
            try write("lib/ownerboot/\(stage)", try String(contentsOf: Self.recipe.appendingPathComponent("init/\(stage)"), encoding: .utf8))
        }
        try write("sbin/ob-unattended", try String(contentsOf: Self.recipe.appendingPathComponent("unlocker-unattended.sh"), encoding: .utf8), mode: 0o755)
        try installStubs()
        try makeDisks()
        for (device, uuid, volumeKey) in [("vda1", Self.rootUUID, "volume-key-of-root"), ("vda2", Self.stateUUID, "volume-key-of-state")] {
            try write("stub/luks/\(device)/uuid", uuid + "\n")
            try write("stub/luks/\(device)/passphrase", Self.passphrase)
            try write("stub/luks/\(device)/volume-key", volumeKey + "\n")
        }
        try write("stub/luks/vda2/bound-key", "bound-to:volume-key-of-root\n")
        try write("stub/verity-hash", Self.rootHash + "\n")
        for dir in ["sbin", "var/lib/demo", "etc", "run", "dev"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent("stub/os/\(dir)"), withIntermediateDirectories: true)
        }
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("stub/os/sbin/init").path, withDestinationPath: "/lib/systemd/systemd")
        try write("proc/cmdline", commandLine + "\n")
    }

    /// A stage-2 root: the initramfs stage 1 built (`cpio`, as ob-kexec received it) unpacked,
    /// the same disks and world as `stage1`, and the command line stage 1 gave the OS kernel.
    init(stage2 cpio: URL, commandLine: String, world stage1: UnlockerRoot) throws {
        root = try RepositoryPaths.temporaryDirectory()
        try ProcessRunner(workingDirectory: root, timeout: 30).checked("sh", ["-c", "cpio -idm --quiet < \"$0\"", cpio.path])
        for dir in ["dev/mapper", "log"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try FileManager.default.copyItem(at: stage1.root.appendingPathComponent("stub"), to: root.appendingPathComponent("stub"))
        try makeDisks()
        try write("proc/cmdline", commandLine + "\n")
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    func write(_ path: String, _ text: String, mode: Int = 0o644) throws {
        let file = url(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: file)
        try Data(text.utf8).write(to: file)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: file.path)
    }

    func exists(_ path: String) -> Bool {
        var info = stat()
        return lstat(url(path).path, &info) == 0
    }

    func read(_ path: String) -> String? { try? String(contentsOf: url(path), encoding: .utf8) }

    /// The applets the recipe links to busybox in the initramfs (its `for applet in ...` list).
    static func applets() throws -> [String] {
        let builder = try String(contentsOf: recipe.appendingPathComponent("unlocker.sh"), encoding: .utf8)
        let start = try #require(builder.range(of: "for applet in "))
        let end = try #require(builder.range(of: "; do", range: start.upperBound..<builder.endIndex))
        return builder[start.upperBound..<end.lowerBound].replacingOccurrences(of: "\\", with: " ")
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }

    /// The host's busybox with its shared libraries (ldd), and the recipe's applet links.
    private func installBusybox() throws {
        let busybox = try #require(ProcessRunner.which("busybox"), "busybox is not installed (scripts/setup.sh)")
        try FileManager.default.copyItem(atPath: busybox, toPath: url("bin/busybox").path)
        let ldd = try ProcessRunner(timeout: 30).checked("ldd", [busybox]).stdoutText
        for word in ldd.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }) where word.hasPrefix("/") {
            let library = String(word)
            try FileManager.default.createDirectory(at: url(String(library.dropFirst())).deletingLastPathComponent(), withIntermediateDirectories: true)
            if !exists(String(library.dropFirst())) {
                try FileManager.default.copyItem(at: URL(fileURLWithPath: library).resolvingSymlinksInPath(), to: url(String(library.dropFirst())))
            }
        }
        for applet in try Self.applets() {
            try FileManager.default.createSymbolicLink(atPath: url("bin/\(applet)").path, withDestinationPath: "busybox")
        }
    }

    private func installStubs() throws {
        for (name, script) in UnlockerStubs.bin {
            try write("bin/\(name)", script, mode: 0o755)
        }
        for (name, script) in UnlockerStubs.sbin {
            try write("sbin/\(name)", script, mode: 0o755)
        }
    }

    /// /dev/vda (a whole disk without LUKS), /dev/vda1 and /dev/vda2: block device nodes.
    private func makeDisks() throws {
        for (name, minor) in [("vda", 0), ("vda1", 1), ("vda2", 2)] {
            try ProcessRunner(timeout: 30).checked("mknod", [url("dev/\(name)").path, "b", "254", String(minor)])
        }
    }

    /// Runs /init in the root (chroot), `typed` lines read from the console, and returns what it
    /// printed and the tools it called. The rescue shell and the jump into a kexec'd kernel end
    /// the run (their stubs stop the unlocker); switch_root ends it with status 0.
    func boot(typing typed: [String] = []) throws -> UnlockerRun {
        let initScript = try #require(read("init"))
        #expect(initScript.components(separatedBy: Self.consoleLine).count == 2, "/init redirects the console once, with this line")
        try write("harness", initScript.replacingOccurrences(of: Self.consoleLine, with: "exec 0</stub/typed"), mode: 0o755)
        try write("stub/typed", typed.map { $0 + "\n" }.joined())
        try write("log/calls", "")
        let chroot = try #require(ProcessRunner.which("chroot") ?? (FileManager.default.isExecutableFile(atPath: "/usr/sbin/chroot") ? "/usr/sbin/chroot" : nil))
        let result = try ProcessRunner(environment: ["PATH": "/bin:/sbin"], timeout: 60).run(chroot, [root.path, "/bin/busybox", "sh", "/harness"])
        #expect(!result.timedOut, "the unlocker did not finish within 60 s:\n\(result.stdoutText)")
        return UnlockerRun(
            console: result.stdoutText + result.stderrText,
            calls: (read("log/calls") ?? "").split(separator: "\n").map(String.init),
            status: result.status)
    }
}

/// What one run of the unlocker printed on the console and which tools it called, in order.
struct UnlockerRun {
    let console: String
    let calls: [String]
    let status: Int32

    var lines: [String] { console.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
    var rescued: Bool { calls.contains("setsid cttyhack sh") }
    var switchedRoot: Bool { calls.last == "switch_root /mnt/root /sbin/init" }
    func calls(_ prefix: String) -> [String] { calls.filter { $0.hasPrefix(prefix) } }
    /// The console lines that start with `prefix`.
    func lines(_ prefix: String) -> [String] { lines.filter { $0.hasPrefix(prefix) } }
    /// `expected` appear in the console in this order (each a whole line's beginning).
    func printed(_ expected: [String]) -> Bool {
        var rest = lines[...]
        for line in expected {
            guard let index = rest.firstIndex(where: { $0.hasPrefix(line) }) else { return false }
            rest = rest[(index + 1)...]
        }
        return true
    }
}
