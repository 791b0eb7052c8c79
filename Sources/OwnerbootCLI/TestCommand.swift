import ArgumentParser

/// `ownerboot test`.
struct TestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "test", abstract: "Boot a board in QEMU and run its scenarios.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        _ = try BoardSelection.load(board, global: global)
        throw NotImplemented(command: "test")
    }
}
