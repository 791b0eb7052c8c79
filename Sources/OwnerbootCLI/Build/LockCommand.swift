import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot lock`: pin a board's build environment and sources.
struct LockCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lock", abstract: "Resolve and pin a board's build environment packages and sources (writes boards/<name>/ownerboot.lock).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Flag(help: "Keep the current pins of the build environment and OS where what they ask for did not change (only new parts are resolved).") var keep = false

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        let store = try Store()
        let previous = FileManager.default.fileExists(atPath: board.lockFile.path) ? try LockFile.read(board.lockFile) : nil
        let lock = try Locker(store: store, log: { print("lock: \($0)") }).lock(board, previous: previous, keepUnchanged: keep)
        try lock.write(to: board.lockFile)
        let os = lock.os.map { ", \($0.packages.count) OS packages" } ?? ""
        print("wrote \(board.lockFile.path): \(lock.buildenv?.packages.count ?? 0) packages\(os), \(lock.sources.count) sources")
    }
}
