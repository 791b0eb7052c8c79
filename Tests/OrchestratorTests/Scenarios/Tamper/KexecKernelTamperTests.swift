import Foundation
import Support
import Testing
@testable import Orchestrator

/// The tampered-kernel disk changes a byte that really is the kexec'd kernel's (found through
/// `/etc/ownerboot/kexec` and debugfs), past the unlocker's 4 MiB metadata check.
struct KexecKernelTamperTests {
    static func image(_ dir: URL, kexecConf: Bool) throws -> (image: URL, kernel: Data) {
        let tree = dir.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("boot"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("etc/ownerboot"), withIntermediateDirectories: true)
        // 6 MiB of blocks that are all different (a counter in every 8 bytes), after 5 MiB of
        // other data, so the kernel lies past the first 4 MiB as a real root's does.
        try Data(count: 5 << 20).write(to: tree.appendingPathComponent("boot/filler"))
        var kernel = Data(capacity: 6 << 20)
        for index in 0..<UInt64((6 << 20) / 8) { withUnsafeBytes(of: index.bigEndian) { kernel.append(contentsOf: $0) } }
        try kernel.write(to: tree.appendingPathComponent("boot/vmlinuz-6.1.0-50-amd64"))
        if kexecConf {
            try Data("kernel=/boot/vmlinuz-6.1.0-50-amd64\nmodules=ahci overlay\ncmdline=\n".utf8).write(to: tree.appendingPathComponent("etc/ownerboot/kexec"))
        }
        let image = dir.appendingPathComponent("os.img")
        try ProcessRunner().checked("mkfs.ext4", ["-q", "-F", "-b", "4096", "-d", tree.path, image.path, "32M"])
        return (image, kernel)
    }

    @Test func theByteItChangesIsTheKernelsPastTheMetadataCheck() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, kernel) = try Self.image(dir, kexecConf: true)
        let offset = try KexecKernelTamper.offset(osImage: image)
        #expect(offset >= 4 << 20)
        let bytes = try Data(contentsOf: image)
        let blockStart = Int(offset) - 2048
        let block = bytes[blockStart..<(blockStart + 4096)]
        // That whole block of the image is one block of the kernel file.
        #expect(kernel.range(of: Data(block)).map { $0.lowerBound % 4096 == 0 } == true)
    }

    @Test func anOSWithoutAKexecKernelIsNamed() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (image, _) = try Self.image(dir, kexecConf: false)
        #expect(throws: TamperError.noKexecKernel(path: image.path)) { try KexecKernelTamper.offset(osImage: image) }
    }
}
