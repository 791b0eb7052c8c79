import ArgumentParser
import Orchestrator

/// `--board NAME` (also `board=NAME`): the board a command works on, optional; `Help` is what
/// the command's help says about it.
struct BoardOption<Help: OptionHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Help.text)) var board: String?

    /// The board given, loaded; an error that lists the known boards when none was given.
    func load(global: GlobalOptions) throws -> Board { try BoardSelection.load(board, global: global) }

    /// The board given, loaded, or nil when none was given.
    func loadIfGiven(global: GlobalOptions) throws -> Board? { try board.map { try BoardSelection.load($0, global: global) } }
}
