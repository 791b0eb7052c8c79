import ArgumentParser
import Boot
import Foundation

/// `ownerboot inspect FILE [--json]`: FMAP areas, CBFS files, manifest and payload kernel of
/// a ROM or chip dump, in one view (like `cbfstool print -k` plus `cbfstool layout -w`).
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a ROM's FMAP regions, CBFS files and embedded manifest.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The ROM or chip dump to inspect.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let image = try ImageFile.read(file)
        let report = try ImageInspector.inspect(image)
        if json { try JSONOutput.print(report) } else { print(ImageReportText.render(report, file: file)) }
    }
}

/// Reads an image file with an error that says which file and why.
enum ImageFile {
    struct Unreadable: Error, CustomStringConvertible {
        let path: String, reason: String
        var description: String { "cannot read \(path): \(reason)" }
    }

    static func read(_ path: String) throws -> [UInt8] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw Unreadable(path: path, reason: "no such file") }
        guard !isDirectory.boolValue else { throw Unreadable(path: path, reason: "it is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else { throw Unreadable(path: path, reason: "permission denied or I/O error") }
        return [UInt8](data)
    }
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
            lines.append("manifest: board \(m.board), generation \(m.generation), set \(m.setHash)\(m.version.map { ", version \($0)" } ?? "")")
            for (name, hash) in m.components.sorted(by: { $0.key < $1.key }) { lines.append("  \(name): \(hash)") }
        } else {
            lines.append("manifest: none (not assembled by ownerboot)")
        }
        if let p = r.payload {
            lines.append("payload \(p.file): \(p.segments.count) segments, entry \(p.entry.map { hex(Int($0)) } ?? "?")"
                + (p.kernelVersion.map { ", Linux \($0)" } ?? "") + (p.bootProtocol.map { ", boot protocol \($0)" } ?? ""))
        }
        for problem in r.problems { lines.append("problem: \(problem)") }
        return lines.joined(separator: "\n")
    }
}
