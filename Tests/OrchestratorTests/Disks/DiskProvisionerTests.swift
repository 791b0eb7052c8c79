import Foundation
import Support
import Testing
@testable import Orchestrator

@Suite struct DiskProvisionerTests {
    /// An 8 MiB ext4 OS image in `dir`, for disks made in tests.
    static func smallOSImage(in dir: URL) throws -> URL {
        let image = dir.appendingPathComponent("os.ext4")
        try ProcessRunner().checked("truncate", ["-s", "8M", image.path])
        try ProcessRunner().checked("mkfs.ext4", ["-q", "-F", image.path])
        return image
    }

    @Test func encryptsOfflineWithTheBoardUUIDAndOnlyTheRightPassphraseOpensIt() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try Self.smallOSImage(in: dir)
        let passFile = dir.appendingPathComponent("pass")
        try Data("correct horse\n".utf8).write(to: passFile)
        let keyFile = dir.appendingPathComponent("key")
        try Data((0..<64).map { UInt8($0) }).write(to: keyFile)
        let output = dir.appendingPathComponent("disk.img")
        var request = DiskProvisioner.Request(osImage: image, passphraseFile: passFile, output: output, luksUUID: "0b0e7b6f-1d2c-4c1a-9a55-000000000001", keyFile: keyFile)
        request.pbkdfMemoryKiB = 8192
        request.pbkdfIterations = 4
        let provisioner = DiskProvisioner()
        try provisioner.provision(request)

        let dump = try ProcessRunner().checked("cryptsetup", ["luksDump", output.path]).stdoutText
        #expect(dump.contains("0b0e7b6f-1d2c-4c1a-9a55-000000000001"))
        #expect(try provisioner.checkPassphrase(disk: output, passphrase: Data("correct horse".utf8)))
        #expect(try !provisioner.checkPassphrase(disk: output, passphrase: Data("wrong".utf8)))
        #expect(try provisioner.checkPassphrase(disk: output, passphrase: Data(contentsOf: keyFile)))
        // The passphrase is not in the disk image in clear (nor anywhere else we wrote).
        let bytes = try Data(contentsOf: output)
        #expect(bytes.range(of: Data("correct horse".utf8)) == nil)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }
        #expect(leftovers.isEmpty)
    }

    @Test func emptyPassphraseFileIsRefusedAndNothingIsWritten() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let passFile = dir.appendingPathComponent("pass")
        try Data("\n".utf8).write(to: passFile)
        let output = dir.appendingPathComponent("disk.img")
        #expect(throws: DiskError.emptyPassphrase(path: passFile.path)) {
            try DiskProvisioner().provision(.init(osImage: dir.appendingPathComponent("none"), passphraseFile: passFile, output: output))
        }
        #expect(!FileManager.default.fileExists(atPath: output.path))
    }
}
