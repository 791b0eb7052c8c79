import ArgumentParser
import Foundation
import Logging
import Orchestrator

/// Options every command takes: verbosity and where the boards live.
public struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "More output (-v: debug, -vv: trace).")
    public var verbose: Int

    @Option(name: .customLong("boards-dir"), help: "The boards directory (default: OWNERBOOT_BOARDS, else ./boards found upward, else `boards = \"…\"` in $OWNERBOOT_HOME/config.toml).")
    public var boardsDirectory: String?

    public init() {}

    /// The boards this command works on (see `BoardCatalog.locate` for the order searched).
    func boardCatalog() throws -> BoardCatalog {
        try BoardCatalog.locate(override: boardsDirectory, configFile: OwnerbootHome.url().appendingPathComponent("config.toml"))
    }

    /// Sets up swift-log once per process, at the level -v asks for.
    public func bootstrapLogging() {
        let level: Logger.Level = verbose >= 2 ? .trace : verbose == 1 ? .debug : .info
        LoggingBootstrap.once(level: level)
    }
}

enum LoggingBootstrap {
    nonisolated(unsafe) private static var done = false

    static func once(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
