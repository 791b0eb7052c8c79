import Boot
import Foundation
import Support
import Testing
@testable import OwnerbootCLI

/// `inspect` reads a file straight into an array and hashes a mapping of it meanwhile; both
/// must give exactly what the plain way (Data, then SHA-256 of the bytes) gives.
@Suite struct InspectCommandTests {
    static func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-inspect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func loadReadsEveryByteAndHashesThem() throws {
        let dir = try Self.scratch()
        for size in [0, 1, 4095, 4096, 4097, (1 << 20) + 3] {
            let bytes = SyntheticFlashBackup.pattern(seed: UInt64(size), count: size)
            let file = dir.appendingPathComponent("f\(size)")
            try Data(bytes).write(to: file)
            let loaded = try ImageFile.load(file.path)
            #expect(loaded.bytes == bytes)
            #expect(loaded.sha256() == SHA256Digest.hex(bytes))
            #expect(try ImageFile.read(file.path) == bytes)
        }
    }

    @Test func unreadableFilesSayWhy() throws {
        let dir = try Self.scratch()
        #expect(throws: ImageFile.Unreadable.self) { try ImageFile.load(dir.appendingPathComponent("missing").path) }
        do {
            _ = try ImageFile.load(dir.path)
            Issue.record("read a directory")
        } catch let error as ImageFile.Unreadable {
            #expect(error.reason == "it is a directory")
        }
    }

    /// The text and JSON views of one report agree on the hash computed beside the parse.
    @Test func reportFromALoadedFileCarriesItsHash() throws {
        let dir = try Self.scratch()
        let fmd = "FLASH 64K {\n FMAP 0x200\n COREBOOT(CBFS)\n}\n"
        var image = [UInt8](repeating: 0xff, count: 64 << 10)
        let map = try FlashMapDescriptor(parsing: fmd).fmap().serialize()
        image.replaceSubrange(0..<map.count, with: map)
        let file = dir.appendingPathComponent("a.rom")
        try Data(image).write(to: file)
        let loaded = try ImageFile.load(file.path)
        var report = try ImageInspector.inspect(loaded.bytes, hashing: false)
        #expect(report.sha256.isEmpty)
        report.sha256 = loaded.sha256()
        #expect(report == (try ImageInspector.inspect(image)))
        #expect(ImageReportText.render(report, file: "a.rom").hasPrefix("a.rom: 65536 bytes, sha256 \(SHA256Digest.hex(image))"))
    }
}
