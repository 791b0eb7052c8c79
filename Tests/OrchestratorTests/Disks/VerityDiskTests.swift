import Foundation
import Support
import Testing
@testable import Orchestrator

/// `ownerboot disk` for a verity OS: a deterministic GPT with root slots A and B and a state
/// partition, each LUKS2 (nothing stored unencrypted), made offline.
@Suite struct VerityDiskTests {
    @Test func theTableIsAPureFunctionOfTheSeedAndSizes() {
        let a = GPTDiskLayout(seed: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2", slotSize: 300 << 20, stateSize: 160 << 20)
        let b = GPTDiskLayout(seed: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2", slotSize: 300 << 20, stateSize: 160 << 20)
        let other = GPTDiskLayout(seed: "0b0e7b6f-1d2c-4c1a-9a55-0000000000ff", slotSize: 300 << 20, stateSize: 160 << 20)
        #expect(a == b && a.sfdiskScript == b.sfdiskScript)
        #expect(a.diskUUID != other.diskUUID)
        #expect(a.partitions.map(\.name) == ["ownerboot-root-a", "ownerboot-root-b", "ownerboot-state"])
        #expect(Set(a.partitions.map(\.uuid)).count == 3)
        // MiB-aligned, back to back, room for the backup GPT at the end.
        #expect(a.partitions[0].offset == 1 << 20)
        #expect(a.partitions[1].offset == a.partitions[0].offset + a.partitions[0].size)
        #expect(a.size == a.partitions[2].offset + a.partitions[2].size + (1 << 20))
        #expect(a.partitions.allSatisfy { $0.uuid.count == 36 && $0.uuid[$0.uuid.index($0.uuid.startIndex, offsetBy: 14)] == "4" })
    }

    @Test func theDiskHoldsThreeLUKS2PartitionsWithTheBoardsUUIDsAndNoPlaintext() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A stand-in OS image with a recognisable plaintext (never readable on the disk).
        let image = dir.appendingPathComponent("os.img")
        try Data((0..<(4 << 20)).map { UInt8(truncatingIfNeeded: $0 % 251) } + Array("ownerboot-plaintext-marker".utf8)).write(to: image)
        let passFile = dir.appendingPathComponent("pass")
        try Data("correct horse\n".utf8).write(to: passFile)
        func make(_ name: String, tamper: Int64?) throws -> URL {
            let output = dir.appendingPathComponent(name)
            var request = DiskProvisioner.Request(osImage: image, passphraseFile: passFile, output: output, luksUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2")
            request.pbkdfMemoryKiB = 8192
            request.pbkdfIterations = 4
            request.verityLayout = DiskProvisioner.VerityLayout(slotBUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b3", stateUUID: "0b0e7b6f-1d2c-4c1a-9a55-0000000000c1", stateSize: 16 << 20)
            request.tamperOffset = tamper
            try DiskProvisioner().provision(request)
            return output
        }
        let disk = try make("disk.img", tamper: nil)
        let json = try ProcessRunner().checked("sfdisk", ["--json", disk.path]).stdoutText
        let table = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let partitiontable = try #require(table["partitiontable"] as? [String: Any])
        let expected = GPTDiskLayout(seed: "0b0e7b6f-1d2c-4c1a-9a55-0000000000b2", slotSize: (4 << 20) + 4096 + Int64(DiskProvisioner.headerReserve), stateSize: (16 << 20) + Int64(DiskProvisioner.headerReserve))
        #expect((partitiontable["id"] as? String) == expected.diskUUID)
        let partitions = try #require(partitiontable["partitions"] as? [[String: Any]])
        #expect(partitions.compactMap { $0["uuid"] as? String } == expected.partitions.map(\.uuid))
        #expect(partitions.compactMap { $0["name"] as? String } == ["ownerboot-root-a", "ownerboot-root-b", "ownerboot-state"])
        // Each partition is LUKS2 with its UUID, opened by the passphrase.
        let bytes = try Data(contentsOf: disk)
        for (partition, uuid) in zip(expected.partitions, ["0b0e7b6f-1d2c-4c1a-9a55-0000000000b2", "0b0e7b6f-1d2c-4c1a-9a55-0000000000b3", "0b0e7b6f-1d2c-4c1a-9a55-0000000000c1"]) {
            let slice = dir.appendingPathComponent("part-\(uuid)")
            try bytes.subdata(in: Int(partition.offset)..<Int(partition.offset + partition.size)).write(to: slice)
            #expect(try ProcessRunner().checked("cryptsetup", ["luksUUID", slice.path]).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == uuid)
            #expect(try DiskProvisioner().checkPassphrase(disk: slice, passphrase: Data("correct horse".utf8)))
        }
        #expect(bytes.range(of: Data("ownerboot-plaintext-marker".utf8)) == nil)
        // The state is bound to each root slot: the key derived from slot A's volume key, and the
        // one from slot B's, open it (as the unlocker opens it); a made-up key does not.
        let slices = expected.partitions.map { dir.appendingPathComponent("part-\($0.uuid)") }
        for (partition, slice) in zip(expected.partitions, slices) { try bytes.subdata(in: Int(partition.offset)..<Int(partition.offset + partition.size)).write(to: slice) }
        for root in slices.prefix(2) {
            let key = RootBoundKeys.statePassphrase(rootVolumeKey: try LUKSHeaderDump.volumeKey(of: root, passphrase: Data("correct horse".utf8), runner: ProcessRunner()))
            #expect(try DiskProvisioner().checkPassphrase(disk: slices[2], passphrase: key))
            #expect(try !DiskProvisioner().checkPassphrase(disk: root, passphrase: key))
        }
        #expect(try !DiskProvisioner().checkPassphrase(disk: slices[2], passphrase: Data(String(repeating: "0", count: 64).utf8)))
        // The tamper option (the tampered-root scenario's disk) changes a copy, never the
        // OS image in the store.
        let before = try SHA256Digest.hex(fileAt: image)
        _ = try make("tampered.img", tamper: 1 << 20)
        #expect(try SHA256Digest.hex(fileAt: image) == before)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("partial") }.isEmpty)
    }
}
