import ArgumentParser
import Flash
import Orchestrator
import Support

/// `ownerboot boards`: the boards, their chips and write protection.
struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boards", abstract: "List boards, their chips and components.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Detail>
    var board: String? { boardOption.board }
    @Flag(help: "Show where each board's profile, builders and input files come from: its own folder, the owner's recipe folders or ownerboot's recipes.") var resolved = false
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        let name: String
        let description: String
        let arch: String
        let chip: String
        let chipSize: Int
        let programmer: String?
        let writeProtect: WriteProtectSpec?
        /// Every chip, in ROM order (the first is `chip`).
        let chips: [ChipSpec]
        let flashSize: Int
        let descriptor: DescriptorSpec?
        /// What the protection covers and leaves open (board.toml `[board] protection`).
        let protection: String?
        /// The same, as ranges: what is protected by which mechanism, what the OS can still
        /// rewrite, where the fallback lives.
        let flashProtection: FlashProtection
        /// "2.0", "1.2", "none" (`[board] tpm`) and what the unlocker can use with it.
        let tpm: String?
        let unlock: [String]
        /// What OS the board boots and how the firmware pins it.
        let os: String
    }

    /// The board's OS choice in one line.
    static func osSummary(_ board: Board) -> String {
        if let os = board.os {
            let kernel = switch os.kernel {
            case .flash: "the kernel in flash boots it"
            case .kexec: "the unlocker in flash verifies it, then starts its own kernel (\(os.kernelPackage ?? "linux-image")) with kexec"
            }
            return "Debian \(os.suite) \(os.variant) + \(os.packages.count) packages, read-only under dm-verity; its root hash is on the ROM's kernel command line; \(kernel)"
        }
        return "busybox test OS (ext4 in LUKS2), not the Debian OS yet: a systemd-capable kernel may not fit beside the firmware in a small flash (the x230 has ~140 KB free); kexec of the OS's own kernel from its verified root is the planned way, not implemented yet"
    }

    func run() throws {
        global.bootstrapLogging()
        let boards = try boardOption.loadIfGiven(global: global).map { [$0] } ?? global.boardCatalog().loadAll()
        if resolved { return try printResolution(boards.map(BoardResolution.init)) }
        let rows = boards.map {
            Row(name: $0.name, description: $0.description, arch: $0.arch, chip: $0.chip.name, chipSize: $0.chip.sizeBytes, programmer: $0.chip.programmer,
                writeProtect: $0.writeProtect, chips: $0.chips, flashSize: $0.flashSize, descriptor: $0.descriptor, protection: $0.protection,
                flashProtection: FlashProtection(board: $0),
                tpm: $0.tpm, unlock: $0.unlockMethods, os: Self.osSummary($0))
        }
        if json { return try JSONOutput.print(rows) }
        for row in rows {
            let chips = row.chips.count == 1 ? "\(row.chip) (\(ByteSize.format(row.chipSize)))"
                : row.chips.map { "\($0.label) \(ByteSize.format($0.sizeBytes))" }.joined(separator: " + ") + " (\(ByteSize.format(row.flashSize)))"
            print("\(row.name)\t\(chips)\t\(row.description)")
            if let protection = row.protection { print("  protection: \(protection)") }
            printProtection(row.flashProtection)
            print("  unlock: \(row.unlock.joined(separator: ", "))" + (row.tpm.map { $0 == "2.0" ? " (TPM 2.0)" : $0 == "none" ? " (no TPM: no TPM2 unlock)" : " (TPM \($0): no TPM2 unlock)" } ?? ""))
            print("  OS: \(row.os)")
            guard board != nil else { continue }
            for chip in row.chips {
                print("  chip \(chip.label): \(([chip.name] + chip.models).joined(separator: " | ")), \(ByteSize.format(chip.sizeBytes)) at ROM \(ByteRange(start: chip.offset, length: chip.sizeBytes))")
                if let access = chip.access { print("    where: \(access)") }
                if let programmer = chip.programmer { print("    programmer: \(programmer)") }
            }
            if let d = row.descriptor {
                print("  Intel flash descriptor: ownerboot writes \(d.writeRegions.joined(separator: ", ")) (built for BIOS region \(ByteRange(start: d.biosStart, length: d.biosLength))); the other regions stay the owner's")
            }
            print("  write protection: \(row.writeProtect.map { "\(ByteRange(start: $0.start, length: $0.length)) \($0.mode.rawValue)" } ?? "none applied by ownerboot")")
        }
    }

    /// Three lines per board: protected ranges and their mechanism, what the OS can rewrite,
    /// where the fallback lives.
    func printProtection(_ p: FlashProtection) {
        let ranges = p.protected.map { "\($0.range) by \($0.mechanism.rawValue)" }
        print("  protected: \(ranges.isEmpty ? "nothing" : ranges.joined(separator: "; "))")
        print("  writable from the OS: \(p.writable.isEmpty ? "nothing" : p.writable.map(\.description).joined(separator: ", "))")
        print("  fallback: \(p.fallback ?? "none")")
    }

    func printResolution(_ resolutions: [BoardResolution]) throws {
        if json { return try JSONOutput.print(resolutions) }
        for (index, resolution) in resolutions.enumerated() {
            if index > 0 { print("") }
            print(resolution.board)
            print("  profile: " + (resolution.profiles.isEmpty ? "none" : resolution.profiles.map { "\($0.name) (\($0.origin): \($0.path))" }.joined(separator: " → ")))
            print("  looked up in: " + resolution.searchPath.map { "\($0.kind) \($0.path)" }.joined(separator: ", then "))
            for component in resolution.components {
                let builder = component.builder.map { "\($0.name)  [\($0.origin)] \($0.path)" } ?? "missing"
                print("  \(component.name)")
                print("    builder  \(builder)")
                for input in component.inputs {
                    let place = input.file.map { "[\($0.origin)] \($0.path)" } ?? (input.kind == "file" ? "missing" : input.kind)
                    print("    input    \(input.name)  \(place)")
                }
            }
        }
    }
}
