import ArgumentParser

/// `ownerboot fleet …`: which device runs which generation.
struct FleetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fleet", abstract: "Which device runs which firmware generation; which are outdated.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "list | add | show | remove | identify") var action: String = "list"
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        throw NotImplemented(command: "fleet \(action)")
    }
}
