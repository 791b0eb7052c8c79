import Foundation
import Support
import Testing
@testable import Orchestrator

/// The builder position (DESIGN's attacker table): one builder script, run by root. Each attack
/// sits beside the success it guards, and after each refusal the store holds what it held.
@Suite(.serialized) struct SandboxAttackTests {
    func fixture(multiID: [String] = []) throws -> FixtureBoard {
        let fixture = try FixtureBoard()
        var toml = FixtureBoard.boardToml
        for name in multiID {
            toml = toml.replacingOccurrences(of: "builder = \"\(name).sh\"", with: "builder = \"\(name).sh\"\nsandbox = \"multi-id\"")
        }
        try fixture.write("board.toml", toml)
        try fixture.lock.write(to: fixture.directory.appendingPathComponent("ownerboot.lock"))
        return fixture
    }

    /// Runs `script` as the independent component: it must be refused, with nothing new in the store.
    func refused(_ script: String, fixture: FixtureBoard, sourceLocation: SourceLocation = #_sourceLocation) throws -> Error? {
        try fixture.write("independent.sh", script)
        let before = try fixture.store.outputs().map(\.hash)
        var caught: Error?
        do { _ = try fixture.builder().build(try fixture.plan()) } catch { caught = error }
        #expect(caught != nil, "\(script) was not refused", sourceLocation: sourceLocation)
        #expect(try fixture.store.outputs().map(\.hash) == before, "the store changed", sourceLocation: sourceLocation)
        #expect(!fixture.store.contains(try fixture.plan().step(named: "independent")!.derivation), sourceLocation: sourceLocation)
        return caught
    }

    @Test func aBuilderCannotRemountAnInputOrTheBuildEnvironmentWritable() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        // The control: the ordinary builder reads its input.
        #expect(try fixture.builder().build(try fixture.plan()).built.contains("independent"))
        let env = try fixture.plan().steps[0].derivation
        let envHash = try fixture.store.output(hash: env.hash)!.contentHash
        for script in [
            "mount -o remount,rw,bind /inputs/note.txt\necho poison > /inputs/note.txt\n",
            "mount -o remount,rw /\necho poison > /etc/ownerboot-poison\n",
            "unshare --user --map-root-user --mount sh -c 'mount -o remount,rw,bind /inputs/note.txt; echo poison > /inputs/note.txt'\n",
            "grep -q '^CapEff:.0*$' /proc/self/status || exit 0; exit 1\n",
        ] {
            _ = try refused(script, fixture: fixture)
        }
        #expect(try String(contentsOf: fixture.directory.appendingPathComponent("note.txt"), encoding: .utf8) == "independent\n")
        #expect(try TreeHash.hash(of: fixture.store.path(of: env)) == envHash)
    }

    @Test func aBuilderCannotReachTheNetwork() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        let listener = try LoopbackListener()
        defer { listener.close() }
        let connect = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(listener.port)), timeout=3)'\n"
        #expect(try ProcessRunner(timeout: 10).run("sh", ["-c", connect]).succeeded, "the control must connect outside the sandbox")
        #expect(try fixture.builder().build(try fixture.plan()).built.contains("independent"))
        _ = try refused(connect, fixture: fixture)
    }

    @Test func setuidFilesDevicesAndLinksOutOfTheOutputAreRefused() throws {
        let fixture = try fixture()
        defer { fixture.remove() }
        // The control: a link inside the output is kept.
        try fixture.write("independent.sh", "cp /inputs/note.txt /out/note.txt\nmkdir /out/bin\nln -s ../note.txt /out/bin/note\n")
        #expect(try fixture.builder().build(try fixture.plan()).built.contains("independent"))
        for (script, file) in [
            ("cp /bin/true /out/x\nchmod u+s /out/x\n", "x"),
            ("mkdir /out/d\ncp /bin/true /out/d/x\nchmod g+s /out/d/x\n", "d/x"),
            ("ln -s /etc/passwd /out/passwd\n", "passwd"),
            ("mkdir /out/a\nln -s ../../outside /out/a/up\n", "a/up"),
            ("mkdir /out/a\nln -s .. /out/a/parent\nln -s a/parent/../x /out/sneaky\n", "sneaky"),
            ("ln -s loop2 /out/loop1\nln -s loop1 /out/loop2\n", "loop1"),
            ("mkfifo /out/fifo\n", "fifo"),
        ] {
            let error = try refused("echo changed > /out/note.txt\n" + script, fixture: fixture)
            if case .unsafeOutput(_, let path, _, _)? = error as? BuildError {
                #expect(path == file, "\(script)")
            } else {
                Issue.record("\(script): \(String(describing: error))")
            }
        }
    }

    @Test func aMultiIDBuilderThatChangesAnInputFailsLoudlyAndTheEntryIsDiscarded() throws {
        // The multi-id builder keeps CAP_SYS_ADMIN in its own namespaces (mmdebstrap mounts in
        // its chroot), so it can remount an input writable: the build must notice.
        let fixture = try fixture(multiID: ["bundle"])
        defer { fixture.remove() }
        // The control: the same multi-id builder, honest, builds.
        #expect(try fixture.builder().build(try fixture.plan()).built.contains("bundle"))
        let hello = try fixture.plan().step(named: "hello")!.derivation
        try fixture.write("bundle.sh", "mkdir /out/bin\ncp /inputs/hello/hello /out/bin/hello\nmount -o remount,rw,bind /inputs/hello\necho poison > /inputs/hello/said.txt\n")
        do {
            _ = try fixture.builder().build(try fixture.plan())
            Issue.record("a builder that changed its input was not refused")
        } catch let error as BuildError {
            guard case .inputChanged(let derivation, let input, let path, _, let discarded) = error else { Issue.record("\(error)"); return }
            #expect(derivation == "bundle" && input == "hello" && path.hasSuffix("said.txt"))
            #expect(discarded == hello.storeName)
        }
        #expect(!fixture.store.contains(hello), "the changed entry is no longer served")
        #expect(!fixture.store.contains(try fixture.plan().step(named: "bundle")!.derivation))
        // It cannot make a user namespace of its own either.
        try fixture.write("bundle.sh", "unshare --user true\n")
        #expect(throws: BuildError.self) { try fixture.builder().build(try fixture.plan()) }
    }
}
