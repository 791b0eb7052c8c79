import Boot
import Foundation
import Support

/// The ROMs the normal/fallback scenarios boot: the built ROM with its writable half (the FMAP
/// region `NORMAL`, outside the write-protected range) changed the way a failed update or an
/// attacker with write access to it would leave it. The protected half is never touched, so
/// what these scenarios prove is what the protected half does on its own.
public enum TamperedROM {
    /// The FMAP region of the normal set (recipes/machines/qemu-i440fx/fallback.fmd).
    public static let normalRegion = "NORMAL"
    /// The attacker's payload says so on its command line: if it ever ran, the console shows it.
    public static let plantedHalf = "planted"

    /// Writes `source`'s variant of `rom` to `output`. `cbfstool` (coreboot's own, from the
    /// firmware build) adds the attacker's bootable payload; `payload` is the kernel and
    /// initramfs it boots; `cmdline` its command line before `ownerboot.half=planted`.
    public static func make(
        _ source: TestScenario.ROMSource, rom: URL, output: URL,
        cbfstool: URL?, payload: (kernel: URL, initrd: URL)?, cmdline: String
    ) throws {
        guard let data = FileManager.default.contents(atPath: rom.path) else { throw TamperError.unreadable(path: rom.path) }
        var image = Array(data)
        guard let area = FMAP.locate(in: image)?.map.area(named: normalRegion) else {
            throw TamperError.noNormalRegion(path: rom.path)
        }
        let start = Int(area.offset), end = Int(area.offset) + Int(area.size)
        guard start < end, end <= image.count else { throw TamperError.noNormalRegion(path: rom.path) }
        switch source {
        case .normalErased:
            // What an erase that was never followed by its write leaves: all ones.
            for i in start..<end { image[i] = 0xFF }
        case .normalPayloadCorrupted:
            // The payload's segment table (its first bytes) overwritten: coreboot finds
            // `normal/payload` but cannot load it.
            let cbfs = try CBFS.open(image, region: normalRegion)
            guard let file = try cbfs.file(named: "normal/payload") else { throw TamperError.noFile(name: "normal/payload", path: rom.path) }
            let data = cbfs.range.lowerBound + file.dataOffset
            for i in data..<(data + min(256, file.dataSize)) { image[i] = 0xA5 }
        case .planted:
            // coreboot-stages would send the bootblock to "normal/romstage" even on a
            // fallback boot, if it read this region then.
            _ = try CBFS.addRaw(to: &image, region: normalRegion, name: "coreboot-stages", data: Array("normal/romstage\0normal/romstage\0".utf8))
        default:
            throw TamperError.notATamperedSource(source.rawValue)
        }
        try Data(image).write(to: output, options: .atomic)
        if source == .planted {
            guard let cbfstool, let payload else { throw TamperError.noTools(path: rom.path) }
            // A complete, bootable fallback/payload in the writable half, shadowing the real
            // one if the loader ever searched this region first (as one chip-wide CBFS did).
            // The attacker owns the region: the normal payload makes room for it.
            for arguments in [
                ["remove", "-r", normalRegion, "-n", "normal/payload"],
                ["add-payload", "-r", normalRegion, "-n", "fallback/payload", "-f", payload.kernel.path,
                 "-I", payload.initrd.path, "-C", "\(cmdline) ownerboot.half=\(plantedHalf)"],
            ] {
                let result = try ProcessRunner(timeout: 120).run(cbfstool.path, [output.path] + arguments)
                guard result.succeeded else { throw TamperError.cbfstool(status: result.status, output: result.stderrText + result.stdoutText) }
            }
        }
    }
}
