import ArgumentParser
import Orchestrator

/// `--board NAME` (also `board=NAME`) for a command that cannot run without one: the parser
/// refuses a missing board before the command runs.
struct RequiredBoardOption<Help: OptionHelp>: ParsableArguments {
    @Option(help: ArgumentHelp(Help.text)) var board: String

    /// The board given, loaded.
    func load(global: GlobalOptions) throws -> Board { try BoardSelection.load(board, global: global) }
}
