import Foundation
import Support
import Testing
@testable import Orchestrator

/// Enrolment on a verity OS's GPT disk: every LUKS2 container (slots A and B, state) gets the
/// key, each header edited as a file of its own and written back, the encrypted data untouched.
@Suite struct LUKSContainersTests {
    @Test func eachContainerOfTheGPTDiskGetsTheKeyAndTheDataStaysAsItWas() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let image = dir.appendingPathComponent("os.img")
        try Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 253) }).write(to: image)
        let passFile = dir.appendingPathComponent("pass")
        try Data("correct horse\n".utf8).write(to: passFile)
        let disk = dir.appendingPathComponent("disk.img")
        var request = DiskProvisioner.Request(osImage: image, passphraseFile: passFile, output: disk, luksUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2")
        request.pbkdfMemoryKiB = 8192
        request.pbkdfIterations = 4
        request.verityLayout = DiskProvisioner.VerityLayout(slotBUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b3", stateUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000c1", stateSize: 16 << 20)
        try DiskProvisioner().provision(request)

        let containers = try LUKSContainers.find(in: disk)
        #expect(containers.map(\.name) == ["ownerboot-root-a", "ownerboot-root-b", "ownerboot-state"])
        #expect(containers.allSatisfy { $0.headerSize == 16 << 20 })
        let before = try Data(contentsOf: disk)

        let keyFile = dir.appendingPathComponent("key")
        try Data("a second key".utf8).write(to: keyFile)
        var lent: [URL] = []
        let names = try LUKSContainers.forEachHeader(of: disk) { header in
            lent.append(header)
            try ProcessRunner().checked("cryptsetup", ["luksAddKey", "--batch-mode", "--key-file", "-", "--pbkdf", "argon2id", "--pbkdf-memory", "8192", "--pbkdf-force-iterations", "4", header.path, keyFile.path], stdin: Data("correct horse".utf8))
        }
        #expect(names == containers.map(\.name))
        #expect(lent.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
        let after = try Data(contentsOf: disk)
        #expect(after.count == before.count)
        let table = GPTDiskLayout(seed: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2", slotSize: (4 << 20) + Int64(DiskProvisioner.headerReserve), stateSize: (16 << 20) + Int64(DiskProvisioner.headerReserve))
        for (container, partition) in zip(containers, table.partitions) {
            let start = Int(container.offset), dataStart = start + Int(container.headerSize), end = Int(partition.offset + partition.size)
            // Only the header changed: the encrypted data (and the GPT around it) is as it was.
            let sameData = before.subdata(in: dataStart..<end) == after.subdata(in: dataStart..<end)
            #expect(sameData)
            #expect(before.subdata(in: start..<dataStart) != after.subdata(in: start..<dataStart))
            let slice = dir.appendingPathComponent("part-\(container.name)")
            try after.subdata(in: start..<end).write(to: slice)
            #expect(try ProcessRunner().run("cryptsetup", ["open", "--test-passphrase", "--key-file", keyFile.path, slice.path]).succeeded)
            #expect(try DiskProvisioner().checkPassphrase(disk: slice, passphrase: Data("correct horse".utf8)))
        }
        let sameTables = before.prefix(1 << 20) == after.prefix(1 << 20) && before.suffix(1 << 20) == after.suffix(1 << 20)
        #expect(sameTables)
    }

    @Test func aPlainLUKS2DiskIsOneContainerAndAnythingElseIsRefused() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let luks = dir.appendingPathComponent("luks.img")
        try ProcessRunner().checked("truncate", ["-s", "20M", luks.path])
        try ProcessRunner().checked("cryptsetup", ["luksFormat", "-q", "--type", "luks2", "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000", "--key-file", "-", luks.path], stdin: Data("pw".utf8))
        var seen: [URL] = []
        #expect(try LUKSContainers.forEachHeader(of: luks) { seen.append($0) } == ["disk"])
        #expect(seen == [luks])
        let plain = dir.appendingPathComponent("plain.img")
        try Data(count: 8 << 20).write(to: plain)
        #expect(throws: DiskError.noLUKSContainer(path: plain.path)) { try LUKSContainers.forEachHeader(of: plain) { _ in } }
    }
}
