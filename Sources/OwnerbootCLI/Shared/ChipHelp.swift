/// `--chip`'s help.
enum ChipHelp {
    /// read, verify, wp: flashrom's name, or a board's chip label.
    enum Probe: OptionHelp { static let text = "flashrom's chip name to probe for; with a board of several chips, which one (e.g. bottom, top)." }
    enum Flash: OptionHelp { static let text = "With a board of several chips: which one the clip is on (e.g. bottom, top; all = the whole flash via internal). Without a board: flashrom's chip name (e.g. W25Q128.V)." }
    enum Promote: OptionHelp { static let text = "With a board of several chips: which one the clip is on." }
    enum Rehearse: OptionHelp { static let text = "With a board of several chips: which one (e.g. bottom, top)." }
}
