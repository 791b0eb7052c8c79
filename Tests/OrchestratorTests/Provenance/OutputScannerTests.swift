import Boot
import Foundation
import Support
import Testing
@testable import Orchestrator

/// The files a component output holds, including those inside its images: a compressed cpio
/// (how an unlocker is packed) and an ext4 image (how the OS is made), with their checksums,
/// and a dpkg md5sums index that names the package a file came from.
@Suite struct OutputScannerTests {
    @Test func filesInsideACompressedInitramfsAndAnExt4ImageAreListedWithTheirHashes() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        let busybox = Array("pretend busybox\n".utf8), lib = Array("pretend libc\n".utf8)
        for format in [Compression.Format.gzip, .xz, .zstd, .none] {
            let archive = try CPIOArchive(entries: [
                .init(path: "bin", permissions: 0o755, kind: .directory),
                .init(path: "bin/busybox", permissions: 0o755, kind: .file(busybox)),
                .init(path: "bin/sh", permissions: 0o777, kind: .symlink(target: "busybox")),
                .init(path: "lib/libc.so.6", permissions: 0o644, kind: .file(lib)),
            ], mtime: 0).serialize()
            try Data(try Compression.compress(archive, format: format)).write(to: output.appendingPathComponent("initramfs-\(format.rawValue)"))
        }
        // An ext4 image made the way the OS builder makes one, without mounting.
        let tree = dir.appendingPathComponent("tree")
        try FileManager.default.createDirectory(at: tree.appendingPathComponent("sbin"), withIntermediateDirectories: true)
        try Data(busybox).write(to: tree.appendingPathComponent("sbin/busybox"))
        try ProcessRunner().checked("mkfs.ext4", ["-q", "-F", "-d", tree.path, output.appendingPathComponent("os.ext4").path, "4M"])
        try Data("plain\n".utf8).write(to: output.appendingPathComponent("notes.txt"))

        let (files, members) = try OutputScanner().scan(output)
        #expect(files.map(\.path) == ["initramfs-gzip", "initramfs-none", "initramfs-xz", "initramfs-zstd", "notes.txt", "os.ext4"])
        #expect(files.first { $0.path == "notes.txt" }?.sha256 == SHA256Digest.hex(Array("plain\n".utf8)))
        var expected: [String] = []
        for format in ["gzip", "none", "xz", "zstd"] { expected += ["initramfs-\(format)!/bin/busybox", "initramfs-\(format)!/lib/libc.so.6"] }
        expected.append("os.ext4!/sbin/busybox")
        #expect(members.map(\.path) == expected.sorted())
        #expect(members.filter { $0.path.hasSuffix("busybox") }.allSatisfy { $0.sha256 == SHA256Digest.hex(busybox) && $0.size == busybox.count })

        // dpkg's md5sums name the package; a file no package ships has none.
        let info = dir.appendingPathComponent("root/var/lib/dpkg/info")
        try FileManager.default.createDirectory(at: info, withIntermediateDirectories: true)
        let md5 = members.first { $0.path == "os.ext4!/sbin/busybox" }!.md5
        try "\(md5)  bin/busybox\n".write(to: info.appendingPathComponent("busybox-static.md5sums"), atomically: true, encoding: .utf8)
        let index = try DebianPackageIndex(root: dir.appendingPathComponent("root"))
        #expect(index.package(md5: md5, fileName: "busybox") == "busybox-static")
        #expect(index.package(md5: members.first { $0.path.hasSuffix("libc.so.6") }!.md5, fileName: "libc.so.6") == nil)
    }
}
