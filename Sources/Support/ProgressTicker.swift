import Foundation


/// Reports one running task while it runs: a `started` event, then every `interval` seconds a
/// `progress` event with the elapsed time, the estimate and the last line of the task's log,
/// and a `finished` or `failed` event at the end. The log is only read (its last 4 KiB), so a
/// builder that writes gigabytes of output costs nothing extra.
public final class ProgressTicker: @unchecked Sendable {
    let task: String
    let log: URL?
    let estimate: Double?
    let sink: ProgressSink
    let interval: Double
    /// Reads an amount out of the log's last line (a tool's own progress line, such as
    /// `cryptsetup --progress-json`): done and total bytes instead of the line itself.
    let amount: (@Sendable (String) -> (done: Int64, total: Int64)?)?
    /// Other logs the task may be writing (a builder that sends `make` to its own log file):
    /// the most recently written of these and `log` gives the line shown.
    let moreLogs: (@Sendable () -> [URL])?
    private let start = Date()
    private let stopped = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)

    public init(task: String, log: URL?, estimate: Double?, interval: Double = 1,
                amount: (@Sendable (String) -> (done: Int64, total: Int64)?)? = nil,
                moreLogs: (@Sendable () -> [URL])? = nil, sink: @escaping ProgressSink) {
        self.amount = amount
        self.moreLogs = moreLogs
        self.task = task
        self.log = log
        self.estimate = estimate
        self.interval = interval
        self.sink = sink
    }

    public var elapsed: Double { Date().timeIntervalSince(start) }

    /// Sends `started` and begins ticking on a thread of its own.
    public func begin() {
        sink(ProgressEvent(task: task, phase: .started, elapsed: 0, estimate: estimate))
        Thread.detachNewThread { [self] in
            while stopped.wait(timeout: .now() + interval) == .timedOut {
                let line = newestLog().flatMap(Self.lastLine)
                if let line, let counted = amount?(line) {
                    sink(ProgressEvent(task: task, phase: .progress, done: counted.done, total: counted.total, unit: "bytes", elapsed: elapsed, estimate: estimate))
                } else {
                    sink(ProgressEvent(task: task, phase: .progress, detail: line, elapsed: elapsed, estimate: estimate))
                }
            }
            done.signal()
        }
    }

    /// Stops ticking (no progress event arrives after this returns) and sends the last event.
    public func end(error: Error?) {
        stopped.signal()
        done.wait()
        if let error {
            let message = (error as? UserFacingError)?.message ?? "\(error)"
            sink(ProgressEvent(task: task, phase: .failed, detail: message.split(separator: "\n").first.map(String.init), elapsed: elapsed, estimate: estimate))
        } else {
            sink(ProgressEvent(task: task, phase: .finished, elapsed: elapsed, estimate: estimate))
        }
    }

    /// The most recently written of `log` and `moreLogs()`.
    func newestLog() -> URL? {
        let candidates = (log.map { [$0] } ?? []) + (moreLogs?() ?? [])
        guard candidates.count > 1 else { return candidates.first }
        func modified(_ url: URL) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date) ?? .distantPast
        }
        return candidates.max { modified($0) < modified($1) }
    }

    /// The last non-empty line of a log, without control characters (a builder's colours or
    /// carriage returns must not move the user's cursor); nil when there is none yet.
    public static func lastLine(of url: URL) -> String? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: size > 4096 ? size - 4096 : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
        guard let last = lines.last(where: { !$0.allSatisfy(\.isWhitespace) }) else { return nil }
        let uncoloured = String(last).replacingOccurrences(of: "\u{1B}\\[[0-9;?]*[A-Za-z]", with: "", options: .regularExpression)
        let cleaned = String(String.UnicodeScalarView(uncoloured.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }))
        return cleaned.trimmingCharacters(in: .whitespaces)
    }
}
