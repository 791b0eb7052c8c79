/// The words a shared option group (`BoardOption`, `ProgrammerOption`, `ChipOption`) says in a
/// command's help: the option and its parsing are the same everywhere, what it is used for
/// differs by command, so each group takes its help as a type.
protocol OptionHelp {
    static var text: String { get }
}
