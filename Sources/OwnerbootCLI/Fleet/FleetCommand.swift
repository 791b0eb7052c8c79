import ArgumentParser
import Boot
import Flash
import Foundation
import Orchestrator

/// `ownerboot fleet …`: which device runs which generation.
struct FleetCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fleet", abstract: "Which device runs which firmware generation; which are outdated.",
        subcommands: [List.self, Add.self, Show.self, Remove.self, Identify.self, Export.self, Import.self],
        defaultSubcommand: List.self)

    static func inventory() throws -> Inventory { try Inventory.open(home: OwnerbootHome.url()) }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every device, the generation on its chip and whether it is current.")
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
        static let configuration = CommandConfiguration(commandName: "show", abstract: "A device's flash and readback history.")
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
        }

        func run() throws {
            global.bootstrapLogging()
            let history = try FleetCommand.inventory().history(device: name)
            // The generation on its chip: the last successful write's (nil if never written).
            let onChip = history.flashes.last { $0.outcome == .success }?.generation
            let store = try Store()
            let pcrs = try onChip.flatMap { number in try store.generations(board: history.device.board).first { $0.number == number } }.flatMap { GenerationPCRs.of($0, store: store) }
            if json { return try JSONOutput.print(Output(device: history.device, flashes: history.flashes, readbacks: history.readbacks, pcrs: pcrs)) }
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
