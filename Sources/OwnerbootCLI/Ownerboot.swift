import ArgumentParser

/// The `ownerboot` command: a firmware-to-userspace build orchestrator for owner-controlled
/// hardware. This type only lists the subcommands; each lives in a file of its own.
public struct Ownerboot: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "ownerboot",
        abstract: "Build, flash, test and track owner-controlled firmware: one board, one versioned set.",
        discussion: "Arguments may be given make-style: `ownerboot build board=qemu-x86` is `ownerboot build --board qemu-x86`.",
        subcommands: [
            BoardsCommand.self, PlanCommand.self, BuildCommand.self, InspectCommand.self,
            FlashCommand.self, PromoteCommand.self, ReadCommand.self, VerifyCommand.self, WriteProtectCommand.self, ProgrammersCommand.self,
            TestCommand.self, VMCommand.self, FleetCommand.self, DiskCommand.self, LockCommand.self, FetchCommand.self, ExportCommand.self, ImportCommand.self, GenerationsCommand.self, StoreCommand.self, BenchCommand.self, RehearseCommand.self,
            KeyCommand.self, SBOMCommand.self, ProvenanceCommand.self, PCRsCommand.self, TOTPCommand.self,
        ])

    public init() {}

    /// Entry point: make-style words are rewritten before parsing.
    public static func main(arguments: [String]) async {
        do {
            var command = try parseAsRoot(MakeStyleArguments.normalize(arguments))
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
