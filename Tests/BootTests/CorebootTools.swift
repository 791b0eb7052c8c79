import Foundation
import Support
@testable import Boot

/// Shared helpers for the cross-checks against Debian's coreboot-utils (cbfstool, fmaptool)
/// and cpio: a scratch directory, running the tools, and parsing what they print.
enum CorebootTools {
    static let runner = ProcessRunner(timeout: 60)

    /// A fresh scratch directory.
    static func scratch(_ label: String = "boot") throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @discardableResult
    static func cbfstool(_ image: URL, _ args: [String]) throws -> String {
        try runner.checked("cbfstool", [image.path] + args).stdoutText
    }

    static func read(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
    static func write(_ bytes: [UInt8], to url: URL) throws { try Data(bytes).write(to: url) }

    /// One row of `cbfstool print -k`.
    struct PrintedFile: Equatable, CustomStringConvertible {
        var name: String, offset: Int, type: String, metadataSize: Int, dataSize: Int, totalSize: Int
        var extras: [String]
        var description: String { "\(name)@0x\(String(offset, radix: 16)) \(type) \(metadataSize)+\(dataSize)=\(totalSize) \(extras)" }
    }

    static func hex(_ s: Substring) -> Int? {
        s.hasPrefix("0x") ? Int(s.dropFirst(2), radix: 16) : Int(s)
    }

    /// Parses `cbfstool IMAGE print -k [-r REGION]` (tab-separated, with a header line).
    static func printK(_ image: URL, region: String? = nil) throws -> [PrintedFile] {
        let out = try cbfstool(image, ["print", "-k", "-v"] + (region.map { ["-r", $0] } ?? []))
        var files: [PrintedFile] = []
        for line in out.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count >= 6, f[0] != "Name", let o = hex(f[1]), let m = hex(f[3]), let d = hex(f[4]), let t = hex(f[5]) else { continue }
            files.append(PrintedFile(name: String(f[0]), offset: o, type: String(f[2]), metadataSize: m, dataSize: d, totalSize: t, extras: f.dropFirst(6).map(String.init)))
        }
        return files
    }

    /// One line of `cbfstool layout -w`: `'NAME' (qualifiers, size N, offset M)`.
    struct LayoutArea: Equatable {
        var name: String, size: Int, offset: Int, qualifiers: [String]
    }

    static func layout(_ image: URL) throws -> [LayoutArea] {
        let out = try cbfstool(image, ["layout", "-w"])
        var areas: [LayoutArea] = []
        for line in out.split(separator: "\n") where line.hasPrefix("'") {
            guard let close = line.dropFirst().firstIndex(of: "'"), let open = line.firstIndex(of: "("), let end = line.lastIndex(of: ")") else { continue }
            let name = String(line[line.index(after: line.startIndex)..<close])
            let parts = line[line.index(after: open)..<end].components(separatedBy: ", ")
            var size = -1, offset = -1
            var quals: [String] = []
            for p in parts {
                if p.hasPrefix("size ") { size = Int(p.dropFirst(5)) ?? -1 } else if p.hasPrefix("offset ") { offset = Int(p.dropFirst(7)) ?? -1 } else { quals.append(p) }
            }
            areas.append(LayoutArea(name: name, size: size, offset: offset, qualifiers: quals))
        }
        return areas
    }

    /// A tiny static x86-64 ELF (code, data, bss) built with gcc, cached per process.
    static let tinyELF: URL? = {
        guard let dir = try? scratch("elf") else { return nil }
        let src = dir.appendingPathComponent("tiny.c")
        try? "int data_var = 42; int bss_var[100];\nvoid _start(void){ for(;;){ bss_var[0] = data_var; } }\n".write(to: src, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("tiny.elf")
        let r = try? runner.run("gcc", ["-static", "-nostdlib", "-O1", "-fno-pie", "-no-pie", "-Wl,--build-id=none", "-Wl,-Ttext=0x100000", "-o", out.path, src.path])
        return r?.succeeded == true ? out : nil
    }()

    /// The layout used by several tests (nested regions, PRESERVE, an FMAP not at offset 0).
    static let sampleFMD = """
        # a 16 MiB chip with an Intel-style descriptor region
        FLASH@0xff000000 16M {
            SI_ALL@0 0x200000 {
                SI_DESC@0 4K
                SI_ME
            }
            RW_MRC_CACHE(PRESERVE) 64K
            SMMSTORE(PRESERVE)@0x210000 256K
            FMAP 0x800
            RW_LEGACY(CBFS) 1M
            COREBOOT(CBFS)
        }
        """

    /// Deterministic pseudo-random bytes (SplitMix64), for payloads and fuzzing.
    struct SeededRandom: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }

        mutating func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &self) } }
    }

    /// Compressible but non-trivial test content.
    static func sampleContent(_ n: Int, seed: UInt64) -> [UInt8] {
        var rng = SeededRandom(seed: seed)
        let words = ["coreboot", "ownerboot", "flash", "LARCHIVE", "\n", " ", "0123456789"]
        var out: [UInt8] = []
        while out.count < n { out += Array(words[Int(rng.next() % UInt64(words.count))].utf8) }
        return Array(out.prefix(n))
    }
}
