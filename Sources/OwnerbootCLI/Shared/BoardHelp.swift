/// `--board`'s help, by what the command does with the board.
enum BoardHelp {
    enum Default: OptionHelp { static let text = "The board (also: board=NAME)." }
    /// read, verify: the chip found must be one of the board's.
    enum ChipChecked: OptionHelp { static let text = "The board (also: board=NAME): its chip name is checked." }
    /// wp: the chip and the range it protects by default.
    enum ChipAndRange: OptionHelp { static let text = "The board (also: board=NAME): chip name and default range." }
    /// boards: one board in detail instead of all.
    enum Detail: OptionHelp { static let text = "Show one board in detail: its chips, where they are and how to reach them (also: board=NAME)." }
    /// fleet add: the device's board.
    enum Device: OptionHelp { static let text = "Its board (also: board=NAME)." }
}
