/// `--programmer`'s help.
enum ProgrammerHelp {
    enum Default: OptionHelp { static let text = "flashrom programmer string." }
    /// flash, promote: a board names its programmer.
    enum BoardDefault: OptionHelp { static let text = "flashrom programmer string (default: the board's chip.programmer)." }
    /// fleet identify: a live chip instead of a dump.
    enum Identify: OptionHelp { static let text = "Read the chip through this flashrom programmer instead of a dump." }
}
