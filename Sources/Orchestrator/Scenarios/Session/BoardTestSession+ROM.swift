import Boot
import Foundation
import Support

/// The ROM each scenario boots: built, tampered, or flashed into an emulated chip.
extension BoardTestSession {
    func prepareROM(for scenario: TestScenario) throws -> URL {
        switch scenario.rom {
        case .built, .payload:
            return artifacts.rom
        case .normalErased, .normalPayloadCorrupted, .planted:
            let output = workDirectory.appendingPathComponent("\(scenario.name).rom")
            let v = artifacts.variables
            var cmdline = "console=ttyS0,115200 no_timer_check ownerboot.board=\(v["board"] ?? "") ownerboot.generation=\(v["generation"] ?? "") ownerboot.set=\(v["set_hash"] ?? "")"
            if let uuid = artifacts.luksUUID { cmdline += " ownerboot.root_uuid=\(uuid)" }
            try TamperedROM.make(
                scenario.rom, rom: artifacts.rom, output: output, cbfstool: artifacts.cbfstool,
                payload: artifacts.kernel.flatMap { k in artifacts.initrd.map { (k, $0) } }, cmdline: cmdline)
            return output
        case .tampered:
            let image = try MeasuredFileTamper.make(from: [UInt8](try Data(contentsOf: artifacts.rom)))
            let url = workDirectory.appendingPathComponent("\(scenario.name).tampered.rom")
            try Data(image).write(to: url, options: .atomic)
            return url
        case .flashed, .update, .promote:
            guard let flash else { throw TestSessionError.needsFlasher(scenario: scenario.name) }
            let chip = workDirectory.appendingPathComponent("\(scenario.name).chip.bin")
            let size = try FileManager.default.attributesOfItem(atPath: artifacts.rom.path)[.size] as? Int ?? 0
            // A blank chip is all ones, as a new SPI flash is.
            try Data(repeating: 0xFF, count: size).write(to: chip)
            // First install on a blank chip, as with a clip before protection is enabled; an
            // update then goes onto the chip with its write protection on.
            if scenario.rom == .update || scenario.rom == .promote {
                guard let previous = artifacts.previousROM else { throw TestSessionError.noPreviousGeneration(scenario: scenario.name) }
                try flash(previous, chip, false)
                try flash(artifacts.updateROM ?? artifacts.rom, chip, true)
                if artifacts.updateROM != nil { try Self.checkProtectedHalfKept(chip: chip, previous: previous) }
                if scenario.rom == .promote { try promote(artifacts.rom, onto: chip, scenario: scenario.name) }
            } else {
                try flash(artifacts.rom, chip, false)
            }
            return chip
        }
    }
    /// The promotion with the chip still protected must be refused and leave it as it was;
    /// with the protection lifted the chip must then hold `rom` exactly.
    func promote(_ rom: URL, onto chip: URL, scenario: String) throws {
        guard let promote else { throw TestSessionError.needsFlasher(scenario: scenario) }
        let before = try SHA256Digest.hex(fileAt: chip)
        // Any refusal counts here; that it was the protection is proven by the same ROM
        // going onto the same chip right after, with the protection lifted.
        var refused = false
        do { try promote(rom, chip, true) } catch { refused = true }
        guard refused else { throw TestSessionError.promotedWhileProtected(chip: chip.path) }
        guard try SHA256Digest.hex(fileAt: chip) == before else { throw TestSessionError.promotedWhileProtected(chip: chip.path) }
        try promote(rom, chip, false)
        guard try SHA256Digest.hex(fileAt: chip) == SHA256Digest.hex(fileAt: rom) else { throw TestSessionError.promotionNotOnChip(chip: chip.path, rom: rom.path) }
    }

    /// After an update of a normal/fallback chip: everything outside the normal region (FMAP,
    /// bootblock, the fallback set) is the previous ROM's, byte for byte.
    static func checkProtectedHalfKept(chip: URL, previous: URL) throws {
        guard let after = FileManager.default.contents(atPath: chip.path).map(Array.init),
              let before = FileManager.default.contents(atPath: previous.path).map(Array.init),
              after.count == before.count,
              let area = FMAP.locate(in: before)?.map.area(named: TamperedROM.normalRegion) else {
            throw TamperError.noNormalRegion(path: previous.path)
        }
        let normal = Int(area.offset)..<(Int(area.offset) + Int(area.size))
        var differing: Int?
        for i in 0..<after.count where !normal.contains(i) && after[i] != before[i] { differing = i; break }
        if let differing { throw TestSessionError.protectedHalfChanged(offset: differing, chip: chip.path) }
    }
}
