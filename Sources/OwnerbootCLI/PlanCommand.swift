import ArgumentParser

/// `ownerboot plan`.
struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Show what would be built, what is cached, and every hash (builds nothing).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        _ = try BoardSelection.load(board, global: global)
        throw NotImplemented(command: "plan")
    }
}
