import Boot
import Support

/// An attacker's ROM for the tpm-tampered scenario: the built ROM with one byte of one
/// measured CBFS file changed — the payload's kernel command line, `ownerboot.board=` becomes
/// `ownerboot.boarD=` — so it still boots the same kernel and unlocker, but coreboot measures
/// a different payload digest into PCR 2.
public enum MeasuredFileTamper {
    static let marker = Array("ownerboot.board=".utf8)

    public static func make(from rom: [UInt8]) throws -> [UInt8] {
        guard let fmap = FMAP.locate(in: rom)?.map, let area = fmap.area(named: PCRPrediction.BootPath.fallback.region) else {
            throw ArtifactError.notTamperable(reason: "the ROM has no FMAP area \(PCRPrediction.BootPath.fallback.region)")
        }
        let cbfs = try CBFS(image: rom, range: try area.range(inImageOf: rom.count))
        guard let payload = try cbfs.file(named: ImageInspector.payloadName) else {
            throw ArtifactError.notTamperable(reason: "the ROM has no \(ImageInspector.payloadName)")
        }
        let start = cbfs.range.lowerBound + payload.dataOffset
        let data = rom[start..<(start + payload.dataSize)]
        guard let at = data.firstRange(of: marker) else {
            throw ArtifactError.notTamperable(reason: "\(ImageInspector.payloadName) holds no uncompressed `ownerboot.board=` command line")
        }
        var out = rom
        out[at.upperBound - 2] = UInt8(ascii: "D")
        return out
    }
}
