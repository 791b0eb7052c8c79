import OwnerbootCLI

await Ownerboot.main(arguments: Array(CommandLine.arguments.dropFirst()))
