import Foundation
import Support
import Testing
@testable import Orchestrator

/// Two disks with the same LUKS UUID made at the same moment from one working directory (two
/// boards' tests use the same root UUID; tests run side by side): `cryptsetup reencrypt` names
/// its temporary header after the UUID in its working directory, so each run gets its own.
@Suite struct SameUUIDDisksTests {
    @Test func fourDisksWithOneUUIDAtOnceAllSucceed() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = try DiskProvisionerTests.smallOSImage(in: dir)
        let passFile = dir.appendingPathComponent("pass")
        try Data("same uuid\n".utf8).write(to: passFile)
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 4) { index in
            var request = DiskProvisioner.Request(osImage: image, passphraseFile: passFile, output: dir.appendingPathComponent("disk\(index).img"), luksUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000ee")
            request.pbkdfMemoryKiB = 8192
            request.pbkdfIterations = 4
            do { try DiskProvisioner().provision(request) } catch { failures.add("\(error)") }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        for index in 0..<4 {
            #expect(try ProcessRunner().checked("cryptsetup", ["luksUUID", dir.appendingPathComponent("disk\(index).img").path]).stdoutText.contains("0000000000ee"))
        }
    }

    final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ text: String) { lock.lock(); list.append(text); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return list }
    }
}
