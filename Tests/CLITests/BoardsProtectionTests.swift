import Foundation
import Support
import Testing

/// `ownerboot boards` shows, per board, what is protected by which mechanism, what the running
/// OS can still rewrite and where the fallback lives, in text and in `--json`.
struct BoardsProtectionTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Row: Decodable {
        struct Protection: Decodable {
            struct Range: Decodable { let start: Int; let length: Int }
            struct Protected: Decodable { let range: Range; let mechanism: String }
            let protected: [Protected]
            let writable: [Range]
            let fallback: String?
        }
        let name: String
        let flashProtection: Protection
    }

    func ownerboot(_ arguments: [String]) throws -> ProcessRunner.Result {
        let binary = Self.repository.appendingPathComponent(".build/debug/ownerboot")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build it first: swift build --build-tests")
        var environment = ProcessInfo.processInfo.environment
        environment["OWNERBOOT_BOARDS"] = Self.repository.appendingPathComponent("boards").path
        return try ProcessRunner(environment: environment, timeout: 60).run(binary.path, arguments)
    }

    @Test func eachBoardShowsItsProtectedRangesWhatStaysWritableAndItsFallback() throws {
        let json = try ownerboot(["boards", "--json"])
        #expect(json.status == 0, "\(json.stderrText)")
        let rows = try JSONDecoder().decode([Row].self, from: Data(json.stdoutText.utf8))
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0.name, $0.flashProtection) })
        let x230 = try #require(byName["x230"])
        #expect(x230.protected.map(\.mechanism) == ["pch-pr0-flockdn"])
        #expect(x230.protected.first.map { $0.range.start == 0 && $0.range.length == 0xC00000 } == true)
        #expect(x230.writable.isEmpty)
        let router = try #require(byName["hp-abm"])
        #expect(router.protected.isEmpty && router.writable.map(\.length) == [8 << 20])
        let emulated = try #require(byName["qemu-x86"])
        #expect(emulated.protected.map(\.mechanism) == ["hardware-wp"])
        #expect(emulated.writable.map(\.start) == [0] && emulated.writable.map(\.length) == [0x800000])
        #expect(emulated.fallback?.contains("COREBOOT region 0x800200-0xFFFFFF") == true)

        let text = try ownerboot(["boards", "board=x230"])
        #expect(text.status == 0, "\(text.stderrText)")
        #expect(text.stdoutText.contains("  protected: 0x00000000-0x00bfffff (12 MiB) by pch-pr0-flockdn"), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("  writable from the OS: nothing"), "\(text.stdoutText)")
        #expect(text.stdoutText.contains("  fallback: none"), "\(text.stdoutText)")
    }
}
