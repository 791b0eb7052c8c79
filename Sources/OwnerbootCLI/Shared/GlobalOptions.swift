import ArgumentParser
import Logging

/// Options every command takes: verbosity and where the boards live.
public struct GlobalOptions: ParsableArguments {
    @Flag(name: .shortAndLong, help: "More output (-v: debug, -vv: trace).")
    public var verbose: Int

    @Option(name: .customLong("boards-dir"), help: "The boards directory (default: OWNERBOOT_BOARDS, or ./boards found upward).")
    public var boardsDirectory: String?

    public init() {}

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
