import Foundation
import Support
import Testing
@testable import Orchestrator

/// The multi-id sandbox (`sandbox = "multi-id"`): what mmdebstrap needs — files owned by many
/// users — works in it, and the isolation does not change: no network, nothing outside /out.
@Suite(.serialized) struct MultiIDSandboxTests {
    /// The fixture board with `independent` running in the multi-id sandbox (or not).
    func fixture(multiID: Bool) throws -> FixtureBoard {
        let fixture = try FixtureBoard()
        let toml = FixtureBoard.boardToml.replacingOccurrences(
            of: "[components.independent]\nbuilder = \"independent.sh\"",
            with: "[components.independent]\nbuilder = \"independent.sh\"" + (multiID ? "\nsandbox = \"multi-id\"" : ""))
        try fixture.write("board.toml", toml)
        try fixture.lock.write(to: fixture.directory.appendingPathComponent("ownerboot.lock"))
        return fixture
    }

    static let chownScript = """
        mkdir /out/tree
        echo x > /out/tree/owned
        chown 1000:100 /out/tree/owned
        chown 65534:65534 /out/tree
        stat -c '%u:%g' /out/tree/owned > /out/owner
        """

    @Test func filesCanBelongToManyUsersInTheMultiIDSandbox() throws {
        let fixture = try fixture(multiID: true)
        defer { fixture.remove() }
        try fixture.write("independent.sh", Self.chownScript + "\n")
        let plan = try fixture.plan()
        #expect(plan.step(named: "independent")!.derivation.env["OWNERBOOT_SANDBOX"] == "multi-id")
        let summary = try fixture.builder().build(plan)
        let out = URL(fileURLWithPath: summary.outputs["independent"]!)
        #expect(try String(contentsOf: out.appendingPathComponent("owner"), encoding: .utf8) == "1000:100\n")
        // The ids are the host's own (mapped 0–65535 to themselves), so the store keeps them.
        let attributes = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("tree/owned").path)
        #expect((attributes[.ownerAccountID] as? NSNumber)?.intValue == 1000)
        #expect((attributes[.groupOwnerAccountID] as? NSNumber)?.intValue == 100)
    }

    @Test func theOrdinarySandboxCannotDoThat() throws {
        // The control: the same builder fails where only id 0 is mapped, so the test above
        // shows the multi-id namespace at work, not a permissive sandbox.
        let fixture = try fixture(multiID: false)
        defer { fixture.remove() }
        try fixture.write("independent.sh", Self.chownScript + "\n")
        #expect(throws: BuildError.self) { try fixture.builder().build(try fixture.plan()) }
    }

    @Test func theMultiIDSandboxHasNoNetwork() throws {
        let fixture = try fixture(multiID: true)
        defer { fixture.remove() }
        let listener = try LoopbackListener()
        defer { listener.close() }
        let connect = "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", \(listener.port)), timeout=3)'"
        #expect(try ProcessRunner(timeout: 10).run("sh", ["-c", connect]).succeeded, "the control must connect outside the sandbox")
        try fixture.write("independent.sh", connect + "\n")
        #expect(throws: BuildError.self) { try fixture.builder().build(try fixture.plan()) }
        // Only loopback exists inside.
        try fixture.write("independent.sh", "grep -c : /proc/net/dev > /out/interfaces; grep -o '^ *[a-z0-9]*:' /proc/net/dev | tr -d ' :' > /out/names\n")
        let summary = try fixture.builder().build(try fixture.plan())
        let names = try String(contentsOf: URL(fileURLWithPath: summary.outputs["independent"]!).appendingPathComponent("names"), encoding: .utf8)
        #expect(names == "lo\n")
    }

    @Test func theMultiIDSandboxCannotWriteOutsideOut() throws {
        let fixture = try fixture(multiID: true)
        defer { fixture.remove() }
        for script in ["echo x > /usr/ownerboot-escape\n", "echo x > /inputs/note.txt\n", "echo x > /etc/ownerboot-escape\n"] {
            try fixture.write("independent.sh", script)
            #expect(throws: BuildError.self, "\(script)") { try fixture.builder().build(try fixture.plan()) }
        }
        #expect(!FileManager.default.fileExists(atPath: "/usr/ownerboot-escape"))
        #expect(try String(contentsOf: fixture.directory.appendingPathComponent("note.txt"), encoding: .utf8) == "independent\n")
    }

    @Test func anUnknownSandboxModeIsRefusedWithTheLine() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        try fixture.write("board.toml", FixtureBoard.boardToml.replacingOccurrences(
            of: "builder = \"independent.sh\"", with: "builder = \"independent.sh\"\nsandbox = \"many-ids\""))
        do {
            _ = try fixture.board
            Issue.record("sandbox = \"many-ids\" was accepted")
        } catch let error as BoardError {
            #expect("\(error.message)".contains("sandbox"))
            #expect("\(error.message)".contains("multi-id"))
        }
    }
}
