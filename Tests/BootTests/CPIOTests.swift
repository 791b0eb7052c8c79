import Foundation
import Support
import Testing
@testable import Boot

/// The deterministic cpio writer, read back by GNU cpio and by our reader; compression helpers.
@Suite struct CPIOTests {
    static func sample(devices: Bool) -> CPIOArchive {
        var entries: [CPIOArchive.Entry] = [
            .init(path: "/init", permissions: 0o755, kind: .file(Array("#!/bin/sh\necho hi\n".utf8))),
            .init(path: "bin/busybox", permissions: 0o755, kind: .file(CorebootTools.sampleContent(10_001, seed: 9))),
            .init(path: "bin/sh", permissions: 0o777, kind: .symlink(target: "busybox")),
            .init(path: "bin/ash", permissions: 0o755, kind: .hardLink(target: "bin/busybox")),
            .init(path: "etc/empty", permissions: 0o644, kind: .file([])),
            .init(path: "run", permissions: 0o755, kind: .directory),
            .init(path: "lib/x86_64-linux-gnu/libc.so.6", permissions: 0o644, kind: .file([1, 2, 3])),
        ]
        if devices {
            entries.append(.init(path: "dev/console", permissions: 0o600, kind: .characterDevice(major: 5, minor: 1)))
            entries.append(.init(path: "dev/sda", permissions: 0o660, kind: .blockDevice(major: 8, minor: 0)))
        }
        return CPIOArchive(entries: entries, mtime: 1_700_000_000)
    }

    @Test func deterministicAndIndependentOfInputOrder() throws {
        let a = try Self.sample(devices: true).serialize()
        var shuffled = Self.sample(devices: true)
        var rng = CorebootTools.SeededRandom(seed: 3)
        shuffled.entries.shuffle(using: &rng)
        let b = try shuffled.serialize()
        #expect(a == b)
        #expect(a.count % 4 == 0)
        let records = try CPIOArchive.parse(a)
        let paths = records.map(\.path)
        #expect(paths == paths.sorted())
        #expect(paths.contains("lib") && paths.contains("lib/x86_64-linux-gnu") && paths.contains("dev"))
        #expect(records.allSatisfy { $0.uid == 0 && $0.gid == 0 && $0.mtime == 1_700_000_000 })
        let ash = try #require(records.first { $0.path == "bin/ash" }), bb = try #require(records.first { $0.path == "bin/busybox" })
        #expect(ash.inode == bb.inode && ash.nlink == 2 && bb.nlink == 2)
        #expect(ash.data.count == 10_001 && bb.data.isEmpty)  // data on the first name
        let console = try #require(records.first { $0.path == "dev/console" })
        #expect(console.mode == 0o020600 && console.rdevMajor == 5 && console.rdevMinor == 1)
    }

    @Test func gnuCpioListsAndExtractsIt() throws {
        let dir = try CorebootTools.scratch("cpio")
        let archive = dir.appendingPathComponent("a.cpio")
        try CorebootTools.write(try Self.sample(devices: true).serialize(), to: archive)
        let listing = try CorebootTools.runner.checked("sh", ["-c", "cpio -t -v < '\(archive.path)'"]).stdoutText
        #expect(listing.contains("dev/console") && listing.contains("5,   1") || listing.contains("5, 1"))
        #expect(listing.contains("bin/sh -> busybox"))
        let list = try CorebootTools.runner.checked("sh", ["-c", "cpio -t < '\(archive.path)'"]).stdoutText
        #expect(list.split(separator: "\n").count == (try CPIOArchive.parse(try CorebootTools.read(archive))).count)

        let plain = dir.appendingPathComponent("b.cpio")
        try CorebootTools.write(try Self.sample(devices: false).serialize(), to: plain)
        let out = dir.appendingPathComponent("out")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        try ProcessRunner(workingDirectory: out, timeout: 30).checked("sh", ["-c", "cpio -i -d --no-absolute-filenames < '\(plain.path)'"])
        let busybox = try CorebootTools.read(out.appendingPathComponent("bin/busybox"))
        #expect(busybox == CorebootTools.sampleContent(10_001, seed: 9))
        #expect(try CorebootTools.read(out.appendingPathComponent("bin/ash")) == busybox)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: out.appendingPathComponent("bin/sh").path) == "busybox")
        let ino1 = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("bin/ash").path)[.systemFileNumber] as? Int
        let ino2 = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent("bin/busybox").path)[.systemFileNumber] as? Int
        #expect(ino1 == ino2)
    }

    @Test func compressionRoundTripsAndToolsAcceptIt() throws {
        let data = try Self.sample(devices: true).serialize()
        let dir = try CorebootTools.scratch("comp")
        for (format, tool) in [(Compression.Format.gzip, ["gzip", "-t"]), (.xz, ["xz", "-t"]), (.zstd, ["zstd", "-t", "-q"])] {
            let c = try Compression.compress(data, format: format)
            #expect(try Compression.compress(data, format: format) == c, "\(format) is deterministic")
            let back: [UInt8]
            switch format {
            case .gzip: back = try Decompression.gzip(c)
            case .xz: back = try Decompression.xz(c)
            default: back = try Decompression.zstd(c)
            }
            #expect(back == data, "\(format)")
            let f = dir.appendingPathComponent("x.\(format)")
            try CorebootTools.write(c, to: f)
            try CorebootTools.runner.checked(tool[0], Array(tool.dropFirst()) + [f.path])
            if format == .gzip { #expect(c[4..<8].allSatisfy { $0 == 0 } && c[3] == 0) }  // mtime 0, no name
            if format == .xz { #expect(c[7] == 0x01) }  // stream flags: CRC32
        }
    }

    @Test func truncatedArchiveThrows() throws {
        let data = try Self.sample(devices: false).serialize()
        for cut in [0, 5, 110, 200, data.count - 1] {
            #expect(throws: BootError.self) { try CPIOArchive.parse(Array(data.prefix(cut))) }
        }
    }
}
