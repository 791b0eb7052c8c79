import Foundation
import Support
import Testing

/// The built `ownerboot` binary run as an installed tool: from a folder outside the
/// repository, with the boards named in `$OWNERBOOT_HOME/config.toml`.
struct InstalledToolTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func runOutsideTheRepositoryItFindsTheConfiguredBoards() throws {
        let binary = Self.repository.appendingPathComponent(".build/debug/ownerboot")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build --build-tests")
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-installed-\(UUID().uuidString)")
        let elsewhere = base.appendingPathComponent("somewhere/else")
        let home = base.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try #require(!elsewhere.path.hasPrefix(Self.repository.path))
        let runner = ProcessRunner(
            environment: ["HOME": base.path, "OWNERBOOT_HOME": home.path, "PATH": "/usr/local/bin:/usr/bin:/bin"],
            workingDirectory: elsewhere, timeout: 60)

        let unconfigured = try runner.run(binary.path, ["boards"])
        #expect(unconfigured.status != 0)
        #expect(unconfigured.stderrText.contains("no boards directory"))
        #expect(unconfigured.stderrText.contains(elsewhere.path))
        #expect(unconfigured.stderrText.contains(home.appendingPathComponent("config.toml").path))

        try Data("boards = \"\(Self.repository.appendingPathComponent("boards").path)\"\n".utf8).write(to: home.appendingPathComponent("config.toml"))
        let configured = try runner.run(binary.path, ["boards"])
        #expect(configured.status == 0, "\(configured.stderrText)")
        #expect(configured.stdoutText.contains("qemu-x86") && configured.stdoutText.contains("x230"))
        let plan = try runner.run(binary.path, ["plan", "board=qemu-x86", "--json"])
        #expect(plan.status == 0, "\(plan.stderrText)")
    }
}
