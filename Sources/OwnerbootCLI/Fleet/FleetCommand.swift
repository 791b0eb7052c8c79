import ArgumentParser
import Boot
import Flash
import Foundation
import Orchestrator

/// `ownerboot fleet …`: which device runs which generation.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Which device runs which firmware generation; which are outdated.",
        subcommands: [List.self, Add.self, Show.self, Remove.self, Identify.self, Enroll.self, Attest.self, Export.self, Import.self],
        defaultSubcommand: List.self)

    static func inventory() throws -> Inventory { try Inventory.open(home: OwnerbootHome.url()) }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every device, the generation on its chip, whether it is current, and its last attestation.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            global.bootstrapLogging()
            let inventory = try FleetCommand.inventory()
            if json { return try JSONOutput.print(try inventory.statuses(generations: GenerationRecords.lookup())) }
            let table = try FleetTable.bytes(inventory, generations: GenerationRecords.lookup())
            if table.devices == 0 { return print("no devices yet: `ownerboot fleet add NAME board=BOARD`") }
            FileHandle.standardOutput.write(Data(table.bytes))
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a device (board=NAME).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The device's name.") var name: String
        @OptionGroup var boardOption: BoardOption<BoardHelp.Device>
        var board: String? { boardOption.board }
        @Option(help: "Serial number or label.") var serial: String?
        @Option(help: "Where it is.") var location: String?
        @Option(help: "Free-form notes.") var notes: String?

        func run() throws {
            global.bootstrapLogging()
            let board = try boardOption.load(global: global)
            let device = try FleetCommand.inventory().addDevice(Device(name: name, board: board.name, serial: serial, location: location, notes: notes))
            print("added \(device.name) (\(device.board))")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A device's flash, readback and attestation history.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Flag(help: "Print JSON.") var json = false

        struct Output: Encodable {
            let device: Device
            let flashes: [FlashEvent]
            let readbacks: [Readback]
            /// The PCRs predicted for the generation last written to its chip, per boot path
            /// (what its TPM2 tokens must be sealed to); nil when unknown.
            let pcrs: [PCRPrediction]?
            /// The enrolled attestation key (nil when none) and every attestation, oldest first.
            let attestationKey: EnrolledKeySummary?
            let attestations: [Attestation]
        }

        struct EnrolledKeySummary: Encodable {
            let akName: String
            let enrolledAt: Date
        }

        func run() throws {
            global.bootstrapLogging()
            let inventory = try FleetCommand.inventory()
            let history = try inventory.history(device: name)
            let key = try inventory.enrolledKey(device: name).map { EnrolledKeySummary(akName: $0.akName, enrolledAt: $0.enrolledAt) }
            let attestations = try inventory.attestations(device: name)
            // The generation on its chip: the last successful write's (nil if never written).
            let onChip = history.flashes.last { $0.outcome == .success }?.generation
            let store = try Store()
            let pcrs = try onChip.flatMap { number in try store.generations(board: history.device.board).first { $0.number == number } }.flatMap { GenerationPCRs.of($0, store: store) }
            if json { return try JSONOutput.print(Output(device: history.device, flashes: history.flashes, readbacks: history.readbacks, pcrs: pcrs,
                                                                 attestationKey: key, attestations: attestations)) }
            let d = history.device
            print("\(d.name)  board=\(d.board)\(d.serial.map { "  serial=\($0)" } ?? "")\(d.location.map { "  location=\($0)" } ?? "")")
            if history.flashes.isEmpty { print("  never flashed") }
            for f in history.flashes {
                print("  \(ISO8601DateFormatter().string(from: f.time))  \(f.outcome.rawValue)  generation \(f.generation.map(String.init) ?? "?")\(f.fallbackGeneration.map { ", fallback \($0)" } ?? "")  rom \(f.romHash.prefix(16))  \(f.bytesWritten) bytes via \(f.programmer)")
            }
            for r in history.readbacks {
                print("  \(ISO8601DateFormatter().string(from: r.time))  readback \(r.dumpHash.prefix(16)): \(r.identifiedAs)")
            }
            if let onChip, let pcrs {
                print("  predicted PCR 2 of generation \(onChip): " + pcrs.map { "\($0.bootPath) \($0.value(ofPCR: 2))" }.joined(separator: ", "))
            }
            if let key { print("  attestation key \(key.akName), enrolled \(ISO8601DateFormatter().string(from: key.enrolledAt)) (not tied to the EK yet)") }
            for a in attestations { print("  " + Attest.line(a)) }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove a device and its history.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String

        func run() throws {
            global.bootstrapLogging()
            try FleetCommand.inventory().removeDevice(named: name)
            print("removed \(name)")
        }
    }

    struct Identify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "identify", abstract: "Which board and generation a chip dump (or a live chip) holds, and whether it is exactly what was built.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "A chip dump (e.g. from `ownerboot read`); omit with --programmer.") var dump: String?
        @OptionGroup var programmerOption: ProgrammerOption<ProgrammerHelp.Identify>
        var programmer: String? { programmerOption.programmer }
        @Option(help: "Record the readback for this device.") var device: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            global.bootstrapLogging()
            let identifier = FleetIdentifier(store: try Store())
            let identification: Identification
            let source: String
            if let programmer {
                let bytes = try await FlashSession.with(programmer: try ProgrammerString(parsing: programmer)) { session in
                    _ = try session.probe()
                    return try session.read()
                }
                identification = try identifier.identify(bytes)
                source = programmer
            } else if let dump {
                identification = try identifier.identify(dumpAt: URL(fileURLWithPath: dump))
                source = dump
            } else {
                throw ValidationError("give a dump file or --programmer P")
            }
            if let device {
                let inventory = try FleetCommand.inventory()
                let id = try inventory.device(named: device).id
                try inventory.recordReadback(Readback(deviceId: id, dumpHash: identification.dumpHash, identifiedAs: identification.summary, generation: identification.generation, setHash: identification.setHash))
            }
            if json { return try JSONOutput.print(identification) }
            print("\(source): \(identification.summary)")
            if identification.state != .matching { throw ExitCode(1) }
        }
    }

    struct Enroll: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll", abstract: "Record a device's TPM attestation key (AK) so its quotes can be verified.",
            discussion: """
                FILE is the AK's TPM2B_PUBLIC as `tpm2_createak -G ecc -g sha256 -s ecdsa -u FILE` writes it on the device; \
                it must be a restricted P-256 signing key made inside the TPM. Without credential activation yet: the key \
                is not proven to live in the device's TPM (tied to its EK), so it is only as trustworthy as the way FILE \
                reached you. Enrolling a device again needs --replace and says which key it replaces.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The device's name.") var name: String
        @Option(help: "The AK's TPM2B_PUBLIC (tpm2_createak -u).") var akPublic: String
        @Flag(help: "Replace the key already enrolled.") var replace = false

        func run() throws {
            global.bootstrapLogging()
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: akPublic)))
            let attestor = FleetAttestor(inventory: try FleetCommand.inventory(), generations: { _ in [] })
            let (enrolled, replaced) = try attestor.enrol(device: name, akPublic: bytes, replace: replace)
            if let replaced {
                let same = replaced.akName == enrolled.akName ? ", the same key" : ""
                print("enrolled \(name): attestation key \(enrolled.akName), replacing \(replaced.akName) (enrolled \(ISO8601DateFormatter().string(from: replaced.enrolledAt))\(same))")
            } else {
                print("enrolled \(name): attestation key \(enrolled.akName)")
            }
            print("note: not tied to the device's EK (no credential activation yet)")
        }
    }

    struct Attest: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "attest", abstract: "Verify a device's TPM quote against the generation the inventory records, and record it.",
            discussion: """
                The files are what `tpm2_quote -c AK -l sha256:0,1,2,3,4,5,6,7 -q NONCE -m QUOTE -s SIGNATURE \
                -o PCRS --pcrs_format values -g sha256` writes on the device, NONCE the hex you gave it. The quote is \
                checked with the device's enrolled AK (--ak-public must be that key) against the PCRs predicted from \
                the ROM of the generation the inventory records for the device, read from the store. A quote that \
                matches another generation of the board is flagged, and the inventory is not changed. Exits non-zero \
                on anything but a match.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The device's name.") var name: String
        @Option(help: "The AK's TPM2B_PUBLIC; must be the key enrolled for the device.") var akPublic: String
        @Option(help: "The TPMS_ATTEST the TPM signed (tpm2_quote -m).") var quote: String
        @Option(help: "The TPMT_SIGNATURE (tpm2_quote -s).") var signature: String
        @Option(help: "The PCR values (tpm2_quote -o, --pcrs_format values).") var pcrs: String
        @Option(help: "The nonce given to tpm2_quote -q, in hex.") var nonce: String
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            global.bootstrapLogging()
            func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
            guard let nonceBytes = Self.hexBytes(nonce), !nonceBytes.isEmpty else { throw ValidationError("--nonce must be an even number of hex digits") }
            let inventory = try FleetCommand.inventory()
            let attestor = FleetAttestor(inventory: inventory, store: try Store())
            let given = try AttestationKey(tpm2bPublic: try read(akPublic))
            guard let enrolled = try inventory.enrolledKey(device: name) else { throw FleetAttestError.notEnrolled(device: name) }
            guard enrolled.akName == given.nameHex else {
                throw ValidationError("--ak-public is key \(given.nameHex), \(name)'s enrolled key is \(enrolled.akName) (`ownerboot fleet enroll \(name) --ak-public FILE --replace` changes it)")
            }
            let attestation = try attestor.attest(device: name, evidence: QuoteEvidence(attest: try read(quote), signature: try read(signature), pcrValues: try read(pcrs)), nonce: nonceBytes)
            if json { try JSONOutput.print(attestation) } else { print("\(name): " + Self.line(attestation)) }
            if attestation.verdict != .matches { throw ExitCode(1) }
        }

        /// One attestation in a line: time, verdict, generation and path found, detail.
        static func line(_ a: Attestation) -> String {
            let found = a.generation.map { "generation \($0)\(a.path.map { " (\($0))" } ?? "")" } ?? "no generation"
            return "\(ISO8601DateFormatter().string(from: a.time))  attested \(a.verdict.rawValue): \(found): \(a.detail)"
        }

        static func hexBytes(_ text: String) -> [UInt8]? {
            let digits = Array(text.hasPrefix("0x") ? text.dropFirst(2) : Substring(text))
            guard digits.count % 2 == 0, digits.allSatisfy(\.isHexDigit) else { return nil }
            var out: [UInt8] = []
            for i in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(digits[i...i + 1]), radix: 16) else { return nil }
                out.append(byte)
            }
            return out
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export", abstract: "Write the whole inventory as JSON.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .shortAndLong, help: "Output file (default: standard output).") var output: String?

        func run() throws {
            global.bootstrapLogging()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            encoder.dateEncodingStrategy = .iso8601
            let data = try encoder.encode(try FleetCommand.inventory().export())
            guard let output else { return print(String(decoding: data, as: UTF8.self)) }
            // Write beside the target and rename, so an interrupted export never leaves half a file.
            let url = URL(fileURLWithPath: output)
            try data.write(to: url, options: .atomic)
            print("exported to \(output)")
        }
    }

    struct Import: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "import", abstract: "Merge an inventory exported on another machine.")
        @OptionGroup var global: GlobalOptions
        @Argument var file: String

        func run() throws {
            global.bootstrapLogging()
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let export: Inventory.Export
            do { export = try decoder.decode(Inventory.Export.self, from: Data(contentsOf: URL(fileURLWithPath: file))) } catch {
                throw InventoryError.badExport(file: file, reason: "\(error)")
            }
            try FleetCommand.inventory().importExport(export)
            print("imported \(export.devices.count) devices, \(export.flashes.count) flashes, \(export.readbacks.count) readbacks")
        }
    }
}
