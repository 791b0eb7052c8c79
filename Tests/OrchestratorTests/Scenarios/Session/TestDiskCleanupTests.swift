import Foundation
import Testing
@testable import Orchestrator

/// A test run leaves its transcripts, not its throwaway disks (gigabytes each).
struct TestDiskCleanupTests {
    @Test func theDisksGoAndTheTranscriptsStay() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["test-disk.img", "tampered-kernel-disk.img", "boot.console.log", "update.chip.bin"] {
            try Data("x".utf8).write(to: dir.appendingPathComponent(name))
        }
        BoardTestSession.discardDisks(in: dir)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["boot.console.log", "update.chip.bin"])
    }
}
