import Foundation
import Support
import Testing

/// A mistyped scenario name is refused before anything is built: on an empty home, the first
/// build of qemu-x86 takes 10-20 minutes, and the error used to come only after it.
@Suite struct UnknownScenarioTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = root.appendingPathComponent(".build/debug/ownerboot")

    @Test(arguments: [["test", "board=qemu-x86", "--scenario", "boot", "--scenario", "bot"], ["bench", "boot", "board=qemu-x86", "--scenario", "bot"]])
    func anUnknownScenarioIsRefusedBeforeTheBuild(arguments: [String]) throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-scenario-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ProcessInfo.processInfo.environment
        environment["OWNERBOOT_HOME"] = home.path
        environment["OWNERBOOT_BOARDS"] = Self.root.appendingPathComponent("boards").path
        let result = try ProcessRunner(environment: environment, timeout: 60).run(Self.binary.path, arguments)
        #expect(result.status != 0)
        #expect(result.stderrText.contains("no scenario 'bot'"))
        #expect(result.stderrText.contains("did you mean 'boot'?"))
        // Nothing was fetched or built: the store holds no derivation.
        let store = home.appendingPathComponent("store")
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: store.path)) ?? []
        #expect(entries.isEmpty, "the store holds \(entries.count) entries")
    }
}
