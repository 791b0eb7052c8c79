import ArgumentParser

/// `--programmer STRING`: the flashrom programmer a command reaches the chip through.
struct ProgrammerOption<Help: OptionHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Help.text)) var programmer: String?
}
