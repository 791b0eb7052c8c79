import ArgumentParser

/// `ownerboot build`.
struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Build a board's derivation set and print the generation and paths.")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        _ = try BoardSelection.load(board, global: global)
        throw NotImplemented(command: "build")
    }
}
