import ArgumentParser

/// `ownerboot flash`.
struct FlashCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "flash", abstract: "Write a ROM to a board's chip: write-protect aware, with backup and readback verification.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        _ = try BoardSelection.load(board, global: global)
        throw NotImplemented(command: "flash")
    }
}
