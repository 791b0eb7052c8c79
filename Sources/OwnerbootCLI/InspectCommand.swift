import ArgumentParser

/// `ownerboot inspect`.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a ROM's FMAP regions, CBFS files and embedded manifest.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The ROM or chip dump to inspect.") var file: String
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        throw NotImplemented(command: "inspect")
    }
}
