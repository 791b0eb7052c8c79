import ArgumentParser
import Boot
import Foundation
import Support

/// `ownerboot inspect FILE [--json]`: FMAP areas, CBFS files, manifest and payload kernel of
/// a ROM or chip dump, in one view (like `cbfstool print -k` plus `cbfstool layout -w`).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a ROM's FMAP regions, CBFS files and embedded manifest.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The ROM or chip dump to inspect.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let loaded = try ImageFile.load(file)
        // The PCR prediction hashes the whole payload again: the text leaves it to `ownerboot pcrs`.
        var report = try ImageInspector.inspect(loaded.bytes, hashing: false, predictingPCRs: json)
        report.sha256 = loaded.sha256()
        if json { try JSONOutput.print(report) } else { print(ImageReportText.render(report, file: file)) }
    }
}

/// Reads an image file with an error that says which file and why.
enum ImageFile {
    struct Unreadable: Error, CustomStringConvertible {
        let path: String, reason: String
        var description: String { "cannot read \(path): \(reason)" }
    }

    /// The whole file, read straight into the array: one copy from the page cache, no Data in
    /// between (and no second copy into an array).
    static func read(_ path: String) throws -> [UInt8] {
        try load(path, hashing: false).bytes
    }

    /// A file's bytes and its SHA-256.
    struct Loaded {
        var bytes: [UInt8]
        /// Waits for the digest computed in the background.
        var sha256: () -> String
    }

    /// `read`, and the file's SHA-256 computed meanwhile on another core from a mapping of the
    /// file, so hashing (about 10 ms for a 16 MiB dump) waits neither for the read nor after it.
    static func load(_ path: String, hashing: Bool = true) throws -> Loaded {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw Unreadable(path: path, reason: errno == ENOENT ? "no such file" : "permission denied or I/O error")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Unreadable(path: path, reason: "permission denied or I/O error") }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw Unreadable(path: path, reason: "it is a directory") }
        let size = max(Int(info.st_size), 0)
        let mapped = hashing && info.st_mode & S_IFMT == S_IFREG ? MappedSHA256(fd: fd, size: size) : nil
        // One byte more than the size shows whether the file ended where fstat said.
        var failed = false
        var bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count < size + 1 {
                let n = readFile(fd, buffer.baseAddress! + count, size + 1 - count)
                if n < 0 && errno == EINTR { continue }
                if n < 0 { failed = true; return }
                if n == 0 { return }
                count += n
            }
        }
        guard !failed else { throw Unreadable(path: path, reason: "permission denied or I/O error") }
        if bytes.count > size {
            // Longer than fstat said (a pipe, a growing or special file): read it the slow way.
            guard let data = FileManager.default.contents(atPath: path) else { throw Unreadable(path: path, reason: "permission denied or I/O error") }
            bytes = [UInt8](data)
        }
        let image = bytes
        return Loaded(bytes: bytes, sha256: { mapped?.result(ifSize: image.count) ?? SHA256Digest.hex(image) })
    }
}

/// SHA-256 of a file computed on a global queue from a private read-only mapping of it.
private final class MappedSHA256: @unchecked Sendable {
    private var digest: String?
    private let group = DispatchGroup()
    private let size: Int

    init?(fd: Int32, size: Int) {
        let copy = dup(fd)
        guard copy >= 0 else { return nil }
        self.size = size
        DispatchQueue.global(qos: .userInitiated).async(group: group) {
            defer { close(copy) }
            guard size > 0, let map = mmap(nil, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, copy, 0), map != MAP_FAILED else { return }
            defer { munmap(map, size) }
            self.digest = SHA256Digest.hex(UnsafeRawBufferPointer(start: map, count: size))
        }
    }

    /// Waits for the digest; nil when the mapping failed or the file's length changed while
    /// it was read (then the bytes read are hashed instead).
    func result(ifSize count: Int) -> String? {
        group.wait()
        return count == size ? digest : nil
    }
}

/// read(2), under a name `ImageFile.read` does not shadow.
private func readFile(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(fd, buffer, count)
}

/// The human-readable form of an `ImageReport`.
enum ImageReportText {
    static func hex(_ v: Int) -> String { "0x" + String(v, radix: 16) }

    static func render(_ r: ImageReport, file: String) -> String {
        var lines: [String] = ["\(file): \(r.size) bytes, sha256 \(r.sha256)"]
        if let d = r.descriptor {
            lines.append("Intel flash descriptor: components \(d.componentSizes.map { "\($0 >> 20) MiB" }.joined(separator: " + ")):")
            for region in d.regions {
                lines.append("  " + region.kind.shortName.padding(toLength: 5, withPad: " ", startingAt: 0) + String(format: " 0x%08x-0x%08x  ", region.base, region.limit) + region.kind.title)
            }
        }
        if let offset = r.fmapOffset {
            lines.append("FMAP \(r.fmapName ?? "") at \(hex(offset)) (base \(hex(Int(r.fmapBase ?? 0)))):")
            for a in r.areas {
                let q = (a.qualifiers + a.flags.filter { $0 != "PRESERVE" || !a.qualifiers.contains("preserve") }).joined(separator: ", ")
                lines.append("  " + a.name.padding(toLength: 24, withPad: " ", startingAt: 0) + " offset \(hex(a.offset).padding(toLength: 10, withPad: " ", startingAt: 0)) size \(hex(a.size).padding(toLength: 10, withPad: " ", startingAt: 0)) \(q)")
            }
        } else if !r.regions.isEmpty {
            lines.append("no FMAP: a legacy image composed entirely of a single CBFS")
        } else {
            lines.append("no FMAP and no CBFS: not a coreboot image (a vendor firmware backup?)")
        }
        for region in r.regions {
            lines.append("")
            lines.append("CBFS \(region.name) (offset \(hex(region.offset)), size \(hex(region.size))):")
            lines.append("  Name                           Offset     Type         Metadata  Data        Total       Compression")
            for f in region.files {
                var extra = f.compression == .none ? "none" : "\(f.compression.name) (\(f.decompressedSize ?? 0) decompressed)"
                if let h = f.hash { extra += ", \(h.algorithmName) \(h.valid == true ? "valid" : h.valid == false ? "INVALID" : "unchecked")" }
                lines.append("  " + [f.displayName.padding(toLength: 30, withPad: " ", startingAt: 0), hex(f.offset).padding(toLength: 10, withPad: " ", startingAt: 0),
                                     f.type.name.padding(toLength: 12, withPad: " ", startingAt: 0), hex(f.metadataSize).padding(toLength: 9, withPad: " ", startingAt: 0),
                                     hex(f.dataSize).padding(toLength: 11, withPad: " ", startingAt: 0), hex(f.totalSize).padding(toLength: 11, withPad: " ", startingAt: 0), extra].joined(separator: " "))
            }
        }
        lines.append("")
        if let m = r.manifest {
            let half = r.fallbackManifest == nil ? "" : " (normal half, writable)"
            lines.append("manifest\(half): board \(m.board), generation \(m.generation), set \(m.setHash)\(m.version.map { ", version \($0)" } ?? "")")
            if let root = m.osRootHash { lines.append("OS: dm-verity root hash \(root) (pinned on the kernel command line as ownerboot.verity=)") }
            for (name, hash) in m.components.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(hash)") }
            if let f = r.fallbackManifest {
                lines.append("manifest (fallback half, write-protected): board \(f.board), generation \(f.generation), set \(f.setHash)")
            }
        } else {
            lines.append("manifest: none (not assembled by ownerboot)")
        }
        if let p = r.payload {
            lines.append("payload \(p.file): \(p.segments.count) segments, entry \(p.entry.map { hex(Int($0)) } ?? "?")"
                + (p.kernelVersion.map { ", Linux \($0)" } ?? "") + (p.bootProtocol.map { ", boot protocol \($0)" } ?? ""))
        }
        for p in r.pcrs ?? [] {
            // The full event list is `ownerboot pcrs`; here the values a TPM policy binds to.
            let values = p.pcrs.keys.sorted().map { "PCR \($0) \(p.value(ofPCR: $0))" }.joined(separator: ", ")
            lines.append("measured boot (\(p.bootPath), SHA-256, \(p.events.count) events): \(values)")
        }
        for problem in r.problems { lines.append("problem: \(problem)") }
        return lines.joined(separator: "\n")
    }
}
