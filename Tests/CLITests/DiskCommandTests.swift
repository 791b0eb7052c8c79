import Foundation
import Support
import Testing

/// `ownerboot disk` leaves either the whole disk it was asked for or nothing: `--tpm2` on a
/// board without a TPM 2.0 is refused before anything is written, and a token that fails to
/// bind leaves no disk under the output name (nor a partial file beside it). The same command
/// without the failing token writes the disk.
@Suite struct DiskCommandTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let binary = root.appendingPathComponent(".build/debug/ownerboot")

    static func run(_ arguments: [String], in dir: URL) throws -> ProcessRunner.Result {
        var environment = ProcessInfo.processInfo.environment
        environment["OWNERBOOT_HOME"] = dir.appendingPathComponent("home").path
        environment["OWNERBOOT_BOARDS"] = root.appendingPathComponent("boards").path
        return try ProcessRunner(environment: environment, workingDirectory: dir, timeout: 300).run(binary.path, arguments)
    }

    static func setUp() throws -> (dir: URL, passphrase: URL, image: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-disk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let passphrase = dir.appendingPathComponent("passphrase")
        try Data("a test passphrase\n".utf8).write(to: passphrase)
        let image = dir.appendingPathComponent("os.img")
        try Data(count: 4 << 20).write(to: image)
        return (dir, passphrase, image)
    }

    static func leftovers(_ dir: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("disk.img") || $0.hasPrefix(".disk.img") }
    }

    @Test func tpm2OnABoardWithoutATPM2IsRefusedBeforeAnythingIsWritten() throws {
        let (dir, passphrase, image) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (board, says) in [("x230", "x230 has a TPM 1.2"), ("hp-abm", "hp-abm has no TPM")] {
            let result = try Self.run(["disk", "board=\(board)", "--tpm2", "--passphrase-file", passphrase.path, "--os-image", image.path, "--output", "disk.img"], in: dir)
            #expect(result.status != 0)
            #expect(result.stderrText.contains(says) && result.stderrText.contains("--tang"), "\(result.stderrText)")
            #expect(try Self.leftovers(dir).isEmpty)
        }
    }

    @Test func aTokenThatFailsToBindLeavesNoDiskAndWithoutItTheDiskIsWritten() throws {
        let (dir, passphrase, image) = try Self.setUp()
        defer { try? FileManager.default.removeItem(at: dir) }
        // An advertisement that is not a JWS: clevis refuses to bind (at once, no network).
        let advertisement = dir.appendingPathComponent("adv.jws")
        try Data("not a signed advertisement".utf8).write(to: advertisement)
        let failed = try Self.run(["disk", "board=x230", "--tang", "http://127.0.0.1:9", "--tang-adv", advertisement.path, "--passphrase-file", passphrase.path, "--os-image", image.path, "--output", "disk.img"], in: dir)
        #expect(failed.status != 0, "\(failed.stdoutText)")
        #expect(!failed.stdoutText.contains("wrote disk.img"))
        let left = try Self.leftovers(dir)
        #expect(left.isEmpty, "left: \(left)")
        let written = try Self.run(["disk", "board=x230", "--passphrase-file", passphrase.path, "--os-image", image.path, "--output", "disk.img"], in: dir)
        #expect(written.status == 0, "\(written.stderrText)")
        #expect(written.stdoutText.contains("wrote disk.img: GPT disk of x230"))
        #expect(try Self.leftovers(dir) == ["disk.img"])
    }
}
