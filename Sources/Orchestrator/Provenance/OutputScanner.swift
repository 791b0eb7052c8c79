import Boot
import Crypto
import Foundation
import Support

/// Lists the regular files of a component output with their checksums, and the files inside
/// the images it holds, so packages copied into an initramfs or a file-system image are found:
/// a cpio archive (plain, gzip, xz or zstd: how ownerboot packs an unlocker) is read with
/// Boot's cpio parser; an ext4 image is unpacked with e2fsprogs' `debugfs -R rdump` (read-only,
/// no mount) into a temporary folder that is removed afterwards.
public struct OutputScanner: Sendable {
    public init() {}

    /// The files of `output` (sorted by path), and the members of every image among them.
    public func scan(_ output: URL) throws -> (files: [OutputFile], members: [OutputFile]) {
        var files: [OutputFile] = []
        var members: [OutputFile] = []
        for relative in try regularFiles(under: output) {
            let url = output.appendingPathComponent(relative)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw ProvenanceError.unreadable(path: url.path, reason: "cannot read")
            }
            let bytes = Array(data)
            files.append(Self.describe(relative, bytes))
            members += try imageMembers(of: bytes, at: url, named: relative)
        }
        return (files, members.sorted { $0.path < $1.path })
    }

    static func describe(_ path: String, _ bytes: [UInt8]) -> OutputFile {
        OutputFile(path: path, size: bytes.count,
                   sha1: Insecure.SHA1.hash(data: bytes).map { String(format: "%02x", $0) }.joined(),
                   sha256: SHA256Digest.hex(bytes),
                   md5: Insecure.MD5.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
    }

    /// Relative paths of the regular files under `root`, sorted (symbolic links are not followed).
    func regularFiles(under root: URL) throws -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root.path) else {
            throw ProvenanceError.unreadable(path: root.path, reason: "not a folder")
        }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String {
            var info = stat()
            if lstat(root.appendingPathComponent(path).path, &info) == 0, info.st_mode & S_IFMT == S_IFREG { paths.append(path) }
        }
        return paths.sorted()
    }

    func imageMembers(of bytes: [UInt8], at url: URL, named name: String) throws -> [OutputFile] {
        if let archive = try cpioBytes(bytes, at: url) {
            let records = (try? CPIOArchive.parse(archive)) ?? []
            return records.filter { $0.mode & 0o170000 == 0o100000 && !$0.data.isEmpty }.map {
                Self.describe("\(name)!/\($0.path.hasPrefix("./") ? String($0.path.dropFirst(2)) : $0.path)", $0.data)
            }
        }
        if bytes.count > 1082, bytes[1080] == 0x53, bytes[1081] == 0xEF {
            return try ext4Members(at: url, named: name)
        }
        return []
    }

    /// The uncompressed cpio archive if `bytes` is one (newc magic "070701"), else nil.
    func cpioBytes(_ bytes: [UInt8], at url: URL) throws -> [UInt8]? {
        let newc = Array("070701".utf8)
        if bytes.starts(with: newc) { return bytes }
        let tool: String?
        if bytes.starts(with: [0x1F, 0x8B]) { tool = "gzip" }
        else if bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { tool = "zstd" }
        else if bytes.starts(with: [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { tool = "xz" }
        else { tool = nil }
        guard let tool else { return nil }
        let result = try ProcessRunner(timeout: 300).run(tool, ["-dc", url.path])
        guard result.succeeded else { throw ProvenanceError.unreadable(path: url.path, reason: "\(tool) -dc failed: \(ProcessRunner.Result.tail(result.stderrText, lines: 3))") }
        let plain = Array(result.stdout)
        return plain.starts(with: newc) ? plain : nil
    }

    func ext4Members(at url: URL, named name: String) throws -> [OutputFile] {
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-scan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer {
            _ = try? ProcessRunner().run("chmod", ["-R", "u+rwX", temporary.path])
            try? FileManager.default.removeItem(at: temporary)
        }
        // -c: catastrophic mode (read-only, ignores bitmaps); rdump copies regular files and
        // symbolic links out without mounting anything.
        let result = try ProcessRunner(timeout: 300).run("debugfs", ["-c", "-R", "rdump / \(temporary.path)", url.path])
        guard result.succeeded else { throw ProvenanceError.unreadable(path: url.path, reason: "debugfs rdump failed: \(ProcessRunner.Result.tail(result.stderrText, lines: 3))") }
        return try regularFiles(under: temporary).compactMap { relative in
            guard let data = FileManager.default.contents(atPath: temporary.appendingPathComponent(relative).path), !data.isEmpty else { return nil }
            return Self.describe("\(name)!/\(relative)", Array(data))
        }
    }
}
