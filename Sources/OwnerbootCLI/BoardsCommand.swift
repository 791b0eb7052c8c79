import ArgumentParser
import Orchestrator
import Support

/// `ownerboot boards`: the boards, their chips and write protection.
struct BoardsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "boards", abstract: "List boards, their chips and components.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON.") var json = false

    struct Row: Encodable {
        let name: String
        let description: String
        let arch: String
        let chip: String
        let chipSize: Int
        let programmer: String?
        let writeProtect: WriteProtectSpec?
    }

    func run() throws {
        global.bootstrapLogging()
        let boards = try BoardCatalog.locate(override: global.boardsDirectory).loadAll()
        let rows = boards.map {
            Row(name: $0.name, description: $0.description, arch: $0.arch, chip: $0.chip.name, chipSize: $0.chip.sizeBytes, programmer: $0.chip.programmer, writeProtect: $0.writeProtect)
        }
        if json { return try JSONOutput.print(rows) }
        for row in rows {
            print("\(row.name)\t\(row.chip) (\(ByteSize.format(row.chipSize)))\t\(row.description)")
        }
    }
}
