import Boot
import Foundation
import Support
import Testing
@testable import Orchestrator

@Suite struct TreePackerTests {
    func stage(_ dir: URL) throws {
        let root = dir.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("bin"), withIntermediateDirectories: true)
        try Data("#!/bin/sh\necho hi\n".utf8).write(to: root.appendingPathComponent("init"))
        chmod(root.appendingPathComponent("init").path, 0o755)
        try Data([1, 2, 3]).write(to: root.appendingPathComponent("bin/busybox"))
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("bin/sh").path, withDestinationPath: "busybox")
        try FileManager.default.linkItem(at: root.appendingPathComponent("bin/busybox"), to: root.appendingPathComponent("bin/ash"))
    }

    @Test func packsDeterministicallyWithDevicesAndLinks() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let spec = PackSpec(tree: "root", output: "initramfs.cpio.gz", compression: .gzip, devices: ["dev/console c 5 1"])
        var outputs: [[UInt8]] = []
        for run in 0..<2 {
            let out = dir.appendingPathComponent("out\(run)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            try stage(out)
            try TreePacker.pack(spec, in: out, mtime: 1_700_000_000)
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("root").path))
            outputs.append(Array(try Data(contentsOf: out.appendingPathComponent("initramfs.cpio.gz"))))
        }
        let identical = outputs[0] == outputs[1]
        #expect(identical)
        let listing = try ProcessRunner().checked("sh", ["-c", "gzip -dc \(dir.path)/out0/initramfs.cpio.gz | cpio -t -v --quiet"]).stdoutText
        #expect(listing.contains("dev/console"))
        #expect(listing.contains("bin/sh -> busybox"))
        #expect(listing.contains("init"))
        let records = try CPIOArchive.parse(try Decompression.gzip(outputs[0]))
        #expect(records.allSatisfy { $0.uid == 0 && $0.gid == 0 })
        #expect(records.map(\.path) == records.map(\.path).sorted())
    }

    @Test func aBadDeviceLineIsAClearError() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try stage(dir)
        #expect(throws: PackError.badDevice(line: "dev/console 5 1")) {
            try TreePacker.pack(PackSpec(tree: "root", output: "x", compression: .gzip, devices: ["dev/console 5 1"]), in: dir, mtime: 0)
        }
    }
}
