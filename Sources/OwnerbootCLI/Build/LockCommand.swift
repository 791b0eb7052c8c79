import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot lock`: pin a board's build environment and sources.
struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lock", abstract: "Resolve and pin a board's build environment packages and sources (writes boards/<name>/ownerboot.lock).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        let store = try Store()
        let lock = try Locker(store: store, log: { print("lock: \($0)") }).lock(board)
        try lock.write(to: board.lockFile)
        print("wrote \(board.lockFile.path): \(lock.buildenv?.packages.count ?? 0) packages, \(lock.sources.count) sources")
    }
}
