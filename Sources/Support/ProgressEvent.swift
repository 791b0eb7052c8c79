import Foundation

/// One step of long work (a derivation building, a source or .deb being fetched, a bundle being
/// written or checked, a disk being encrypted, a chip being written), as the library reports it.
/// The library only emits events; the command line decides how to show them: a live line per
/// task on a terminal, plain lines when piped, one JSON object per line with `--json`.
/// It never carries a secret: `detail` is a log line or a file name, never input the user typed.
public struct ProgressEvent: Sendable, Codable, Equatable {
    public enum Phase: String, Sendable, Codable {
        case started, progress, finished, failed
    }

    /// What is being done, stable across the events of one task: "build kernel", "fetch coreboot".
    public var task: String
    public var phase: Phase
    /// Amount done and the total, in `unit` ("bytes", "files", "packages"), where known.
    public var done: Int64?
    public var total: Int64?
    public var unit: String?
    /// The last line of the task's log, or the file it is on.
    public var detail: String?
    /// Seconds since the task started.
    public var elapsed: Double?
    /// Seconds the same task took last time, where known.
    public var estimate: Double?

    public init(task: String, phase: Phase, done: Int64? = nil, total: Int64? = nil, unit: String? = nil,
                detail: String? = nil, elapsed: Double? = nil, estimate: Double? = nil) {
        self.task = task
        self.phase = phase
        self.done = done
        self.total = total
        self.unit = unit
        self.detail = detail
        self.elapsed = elapsed
        self.estimate = estimate
    }
}

/// Where a library function sends its progress. Called from any thread; must return quickly.
public typealias ProgressSink = @Sendable (ProgressEvent) -> Void
