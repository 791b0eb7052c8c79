import Boot
import Foundation
import Support
import TOMLKit

/// Reads a board file's flash chips — `[chip]` for a board with one, `[[chips]]` for a
/// board with several — and its `[descriptor]`, checking that the chips tile the flash and
/// that the descriptor's BIOS region fits it.
struct ChipSection {
    let root: TOMLTable
    let fields: FieldReader
    let file: String
    let lines: SourceLines

    func chips() throws -> [ChipSpec] {
        switch (root["chip"] != nil, root["chips"] != nil) {
        case (true, true):
            throw BoardError.invalidValue(file: file, line: lines.lineOfArrayTable("chips"), key: "chips", value: "[chip] and [[chips]]", expected: "one of them: [chip] for one chip, [[chips]] for several")
        case (false, false):
            throw BoardError.missingKey(file: file, key: "chip")
        case (true, false):
            return [ChipSpec(
                name: try fields.string("chip", "name"), sizeBytes: try size(fields.string("chip", "size"), key: "chip.size", line: lines.lineOfKey("size", in: "chip")),
                programmer: try fields.optionalString("chip", "programmer"), models: try fields.optionalStringArray("chip", "models") ?? [],
                access: try fields.optionalString("chip", "access"))]
        case (false, true):
            let tables = root["chips"]!.array!.compactMap(\.table)
            var chips: [ChipSpec] = []
            for (index, table) in tables.enumerated() {
                func lineOf(_ key: String) -> Int? { lines.lineOfKey(key, inArrayTable: "chips", index: index) }
                func string(_ key: String) throws -> String? {
                    guard let value = table[key] else { return nil }
                    guard let text = value.string else { throw BoardError.wrongType(file: file, line: lineOf(key), key: "chips[\(index)].\(key)", expected: "a string") }
                    return text
                }
                guard let label = try string("label") else { throw BoardError.missingKey(file: file, key: "chips[\(index)].label") }
                guard let name = try string("name") else { throw BoardError.missingKey(file: file, key: "chips[\(index)].name") }
                guard let sizeText = try string("size") else { throw BoardError.missingKey(file: file, key: "chips[\(index)].size") }
                guard let offset = table["offset"]?.int else {
                    throw BoardError.wrongType(file: file, line: lineOf("offset"), key: "chips[\(index)].offset", expected: "an integer: where the chip starts in the ROM (0 for the first)")
                }
                let models = table["models"]?.array?.compactMap(\.string) ?? []
                let chip = ChipSpec(name: name, sizeBytes: try size(sizeText, key: "chips[\(index)].size", line: lineOf("size")), programmer: try string("programmer"),
                                    label: label, models: models, offset: offset, access: try string("access"))
                let expectedOffset = chips.last.map { $0.offset + $0.sizeBytes } ?? 0
                guard chip.offset == expectedOffset else {
                    throw BoardError.invalidValue(file: file, line: lineOf("offset"), key: "chips[\(index)].offset", value: String(format: "0x%X", offset), expected: String(format: "0x%X: the chips follow each other in the ROM, first at 0", expectedOffset))
                }
                if chips.contains(where: { $0.label == label }) {
                    throw BoardError.invalidValue(file: file, line: lineOf("label"), key: "chips[\(index)].label", value: "\"\(label)\"", expected: "a label no other chip has")
                }
                chips.append(chip)
            }
            return chips
        }
    }

    func descriptor(chips: [ChipSpec]) throws -> DescriptorSpec? {
        guard root["descriptor"] != nil else { return nil }
        let kind = try fields.string("descriptor", "kind")
        guard kind == "intel" else {
            throw BoardError.invalidValue(file: file, line: lines.lineOfKey("kind", in: "descriptor"), key: "descriptor.kind", value: "\"\(kind)\"", expected: "\"intel\" (an Intel flash descriptor)")
        }
        let regions = try fields.stringArray("descriptor", "write_regions")
        for region in regions where IntelFlashDescriptor.RegionKind(shortName: region) == nil {
            throw BoardError.invalidValue(file: file, line: lines.lineOfKey("write_regions", in: "descriptor"), key: "descriptor.write_regions", value: "\"\(region)\"",
                                          expected: "ifdtool's region names: " + IntelFlashDescriptor.RegionKind.allCases.map(\.shortName).joined(separator: ", "))
        }
        let spec = DescriptorSpec(writeRegions: regions, biosStart: try fields.int("descriptor", "bios_start"), biosLength: try fields.int("descriptor", "bios_length"))
        let total = chips.map { $0.offset + $0.sizeBytes }.max() ?? 0
        let unit = IntelFlashDescriptor.regionUnit
        guard spec.biosStart > 0, spec.biosLength > 0, spec.biosStart % unit == 0, spec.biosLength % unit == 0, spec.biosStart + spec.biosLength <= total else {
            throw BoardError.invalidValue(file: file, line: lines.lineOfKey("bios_length", in: "descriptor"), key: "descriptor.bios_start/bios_length",
                                          value: String(format: "0x%X+0x%X", spec.biosStart, spec.biosLength), expected: String(format: "4 KiB-aligned, after the descriptor, inside the 0x%X-byte flash", total))
        }
        // Only the first chip holds the descriptor: every other chip must lie wholly in the
        // BIOS region, or flashing it would overwrite owner's regions unchecked.
        for chip in chips.dropFirst() where !(chip.offset >= spec.biosStart && chip.offset + chip.sizeBytes <= spec.biosStart + spec.biosLength) {
            throw BoardError.invalidValue(file: file, line: lines.lineOfKey("bios_start", in: "descriptor"), key: "descriptor.bios_start",
                                          value: String(format: "0x%X", spec.biosStart), expected: "a BIOS region that covers chip '\(chip.label)' entirely (only the first chip holds the descriptor)")
        }
        return spec
    }

    func size(_ text: String, key: String, line: Int?) throws -> Int {
        guard let size = ByteSize.parse(text) else {
            throw BoardError.invalidValue(file: file, line: line, key: key, value: "\"\(text)\"", expected: "a size such as \"16MiB\", \"8MiB\" or \"4096KiB\"")
        }
        return size
    }
}
