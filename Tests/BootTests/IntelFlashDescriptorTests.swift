import Foundation
import Support
import Testing
@testable import Boot

/// The flash descriptor reader agrees with coreboot's ifdtool on the regions and components,
/// and never traps on bad bytes.
struct IntelFlashDescriptorTests {
    @Test func theStockX230LayoutReadsBack() throws {
        let backup = SyntheticFlashBackup.x230()
        let parsed = try #require(try IntelFlashDescriptor.find(in: backup.bytes))
        #expect(parsed.signatureOffset == 0x10)
        #expect(parsed.componentSizes == [8 << 20, 4 << 20])
        #expect(parsed.regions.map(\.kind) == [.descriptor, .bios, .me, .gbe])
        #expect(parsed.region(.bios) == .init(kind: .bios, base: 0x500000, limit: 0xBFFFFF))
        #expect(parsed.region(.me)?.size == 0x4FD000)
        #expect(parsed.region(.platformData) == nil)
        #expect(backup.bytes.count == 12 << 20)
    }

    /// `ifdtool -f` writes the regions as `base:limit name`; `ifdtool -d` names the densities.
    @Test func ifdtoolReadsTheSameRegionsAndComponents() throws {
        let dir = try CorebootTools.scratch("ifd")
        defer { try? FileManager.default.removeItem(at: dir) }
        for backup in [SyntheticFlashBackup.x230(),
                       SyntheticFlashBackup.make(regions: [.init(kind: .descriptor, base: 0, limit: 0xFFF), .init(kind: .bios, base: 0x200000, limit: 0x7FFFFF),
                                                           .init(kind: .me, base: 0x1000, limit: 0x1FFFFF)], componentSizes: [8 << 20], seed: 7)] {
            let image = dir.appendingPathComponent("backup.rom")
            try CorebootTools.write(backup.bytes, to: image)
            let layout = dir.appendingPathComponent("layout.txt")
            try CorebootTools.runner.checked("ifdtool", ["-f", layout.path, image.path])
            let theirs = try String(contentsOf: layout, encoding: .utf8).split(separator: "\n").map(String.init)
            let ours = backup.descriptor.regions.map { String(format: "%08x:%08x %@", $0.base, $0.limit, $0.kind.shortName) }
            #expect(theirs == ours)

            let dump = try CorebootTools.runner.checked("ifdtool", ["-d", image.path]).stdoutText
            let lines = dump.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            for (index, size) in backup.descriptor.componentSizes.enumerated() {
                let line = lines.first { $0.hasPrefix("Component \(index + 1) Density:") }
                #expect(line?.hasSuffix(" \(size >> 20)MB") == true, "component \(index + 1): \(line ?? "missing")")
            }
            #expect(lines.contains { $0.hasPrefix("PCH Revision:") && $0.contains("Cougar Point") })
        }
    }

    /// A vendor backup has no FMAP or CBFS; inspect still shows its descriptor.
    @Test func inspectReportsTheDescriptorOfAVendorBackup() throws {
        let report = try ImageInspector.inspect(SyntheticFlashBackup.x230().bytes)
        #expect(report.descriptor?.region(.me)?.base == 0x3000)
        #expect(report.areas.isEmpty && report.regions.isEmpty)
        #expect(throws: BootError.self) { try ImageInspector.inspect([UInt8](repeating: 0xFF, count: 1 << 20)) }
    }

    @Test func noSignatureIsNoDescriptor() throws {
        #expect(try IntelFlashDescriptor.find(in: [UInt8](repeating: 0xFF, count: 8192)) == nil)
        #expect(try IntelFlashDescriptor.find(in: []) == nil)
    }

    @Test func aRegionPastTheComponentsIsRejected() throws {
        var bytes = SyntheticFlashBackup.x230().bytes
        // Component densities 8 MiB + 4 MiB → 4 MiB + 4 MiB: the BIOS region now ends past them.
        bytes[0x30] = (bytes[0x30] & ~0x07) | 0x03
        #expect(throws: BootError.self) { try IntelFlashDescriptor.find(in: bytes) }
    }

    /// Mutated descriptors only ever parse or throw.
    @Test func mutatedDescriptorsNeverTrap() {
        let base = Array(SyntheticFlashBackup.x230().bytes.prefix(4096))
        var state: UInt64 = 0x1234_5678
        for _ in 0..<3000 {
            var bytes = base
            for _ in 0..<4 {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17
                bytes[0x10 + Int(state % 0x60)] = UInt8(truncatingIfNeeded: state >> 32)
            }
            if state % 7 == 0 { bytes = Array(bytes.prefix(Int(state % 0x80))) }
            _ = try? IntelFlashDescriptor.find(in: bytes)
        }
    }
}
