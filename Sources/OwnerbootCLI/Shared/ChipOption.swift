import ArgumentParser

/// `--chip NAME`: which chip, as flashrom's chip name or a board's chip label (bottom, top).
struct ChipOption<Help: OptionHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Help.text)) var chip: String?
}
