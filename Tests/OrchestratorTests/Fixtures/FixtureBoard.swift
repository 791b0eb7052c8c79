import Foundation
import Support
@testable import Orchestrator

/// A small real board for orchestrator tests: a C program compiled in the sandbox, a
/// component that packs it, and an independent one. Its build environment borrows the host's
/// /usr (bound read-only over an otherwise empty root) so tests need no mmdebstrap run.
struct FixtureBoard {
    let directory: URL
    let boards: URL
    let home: URL
    let store: Store

    static let boardToml = """
        [board]
        name = "fixture"

        [chip]
        name = "W25Q128.V"
        size = "16MiB"

        [buildenv]
        packages = ["gcc"]
        source_date_epoch = 1700000000

        [components.hello]
        builder = "hello.sh"
        inputs = ["hello.c"]
        env = { GREETING = "hello" }

        [components.bundle]
        builder = "bundle.sh"
        inputs = ["hello"]

        [components.independent]
        builder = "independent.sh"
        inputs = ["note.txt"]
        """

    init() throws {
        let base = try RepositoryPaths.temporaryDirectory()
        boards = base.appendingPathComponent("boards")
        directory = boards.appendingPathComponent("fixture")
        home = base.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        store = try Store(home: home)
        try write("board.toml", Self.boardToml)
        try write("hello.c", "#include <stdio.h>\nint main(void) { puts(GREETING); return 0; }\n")
        try write("hello.sh", "gcc -O2 -DGREETING=\\\"$GREETING\\\" -o /out/hello /inputs/hello.c\n/out/hello > /out/said.txt\n")
        try write("bundle.sh", "mkdir /out/bin\ncp /inputs/hello/hello /out/bin/hello\n")
        try write("independent.sh", "cp /inputs/note.txt /out/note.txt\n")
        try write("note.txt", "independent\n")
        try lock.write(to: directory.appendingPathComponent("ownerboot.lock"))
        try installBuildEnvironment()
    }

    func write(_ name: String, _ text: String) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent(name))
    }

    func remove() { try? FileManager.default.removeItem(at: boards.deletingLastPathComponent()) }

    var board: Board { get throws { try BoardCatalog(directory: boards).load("fixture") } }

    /// A lock pinning a made-up package list (the environment itself is provided below).
    var lock: LockFile {
        get throws {
            let board = try self.board
            return LockFile(board: "fixture", request: LockFile.requestHash(for: board),
                            buildenv: .init(suite: "bookworm", mirror: "http://deb.debian.org/debian", variant: "buildd",
                                            packages: [.init(name: "gcc", version: "4:12.2.0-3", architecture: "amd64", sha256: nil)]),
                            sources: [:])
        }
    }

    /// An empty root with the merged-/usr links and mount points; /usr comes from the host.
    func installBuildEnvironment() throws {
        let plan = try BuildPlan.make(board: try board, lock: try lock, store: store)
        let env = plan.steps[0].derivation
        guard !store.contains(env) else { return }
        let root = try store.temporaryDirectory(for: env)
        for dir in ["usr", "etc", "inputs", "build", "out", "tmp", "proc", "dev"] {
            try FileManager.default.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        for link in ["bin", "sbin", "lib", "lib64"] {
            try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent(link).path, withDestinationPath: "usr/\(link)")
        }
        try store.install(root, as: env, seconds: 0, log: nil)
    }

    func plan() throws -> BuildPlan { try BuildPlan.make(board: try board, lock: try lock, store: store) }

    func builder(check: Bool = false) -> Builder {
        var builder = Builder(store: store, jobs: 2, check: check)
        builder.extraReadOnlyBinds = [("/usr", "/usr")]
        return builder
    }
}
