import Foundation
import Support

/// Shows the `ProgressEvent`s of long work (builds, fetches, bundles, disks, flashes) on
/// standard error, so standard output stays the command's result (`--json` output included):
/// - on a terminal, a live block with one line per running task (elapsed time, the estimate
///   from the last run, the last line of its log, bytes and rate) redrawn in place, and one
///   permanent line per task that ended;
/// - piped, plain lines: when a task starts and ends, and at most every `plainInterval`
///   seconds of its elapsed time while it runs (so a log file stays readable);
/// - with `--json`, every event as one JSON object per line (NDJSON) a script can follow.
/// Any command can use it: `let progress = ProgressRenderer.standard(json: json)`, pass
/// `progress.sink` to the library, and call `progress.finish()` before printing the result.
/// It never shows anything the events do not carry, and events never carry a secret.
final class ProgressRenderer: @unchecked Sendable {
    enum Mode: Equatable {
        case terminal(width: Int)
        case plain
        case json
    }

    let mode: Mode
    /// Seconds of a task's elapsed time between two plain progress lines.
    let plainInterval: Double
    private let write: @Sendable (String) -> Void
    private let now: @Sendable () -> Date
    private let lock = NSLock()
    private var running: [(event: ProgressEvent, received: Date)] = []
    private var plainPrinted: [String: Double] = [:]
    private var drawnLines = 0
    private var timer: DispatchSourceTimer?

    init(mode: Mode, plainInterval: Double = 30, now: @escaping @Sendable () -> Date = { Date() }, write: @escaping @Sendable (String) -> Void) {
        self.mode = mode
        self.plainInterval = plainInterval
        self.now = now
        self.write = write
    }

    /// The renderer for this process: NDJSON with `--json`, the live display when standard
    /// error is a terminal (and TERM is not "dumb"), plain lines otherwise.
    static func standard(json: Bool) -> ProgressRenderer {
        let write: @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
        if json { return ProgressRenderer(mode: .json, write: write) }
        let term = ProcessInfo.processInfo.environment["TERM"] ?? ""
        guard isatty(STDERR_FILENO) == 1, term != "dumb", !term.isEmpty else { return ProgressRenderer(mode: .plain, write: write) }
        var size = winsize()
        let width = ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
        let renderer = ProgressRenderer(mode: .terminal(width: width), write: write)
        renderer.startTicking()
        return renderer
    }

    /// What a library function takes as its `ProgressSink`.
    var sink: ProgressSink { { [self] event in self.handle(event) } }

    func handle(_ event: ProgressEvent) {
        lock.withLock {
            switch mode {
            case .json: write(Self.jsonLine(event))
            case .plain: plain(event)
            case .terminal: terminal(event)
            }
        }
    }

    /// A message between the progress lines ("making the previous release…"); not shown with
    /// `--json`, where standard error carries events only.
    func note(_ text: String) {
        lock.withLock {
            switch mode {
            case .json: return
            case .plain: write(text + "\n")
            case .terminal: redraw(permanent: [text])
            }
        }
    }

    /// Ends the display: the live block is erased (every task ended has its permanent line),
    /// the redraw timer stops. Call it before printing the command's result.
    func finish() {
        lock.withLock {
            timer?.cancel()
            timer = nil
            if case .terminal = mode {
                running.removeAll()
                redraw(permanent: [])
            }
        }
    }

    // MARK: Modes

    static func jsonLine(_ event: ProgressEvent) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(event)) ?? Data("{}".utf8), as: UTF8.self) + "\n"
    }

    private func plain(_ event: ProgressEvent) {
        switch event.phase {
        case .started:
            plainPrinted[event.task] = 0
            write(Self.plainStart(event) + "\n")
        case .progress:
            let elapsed = event.elapsed ?? 0
            guard elapsed >= (plainPrinted[event.task] ?? 0) + plainInterval else { return }
            plainPrinted[event.task] = elapsed
            write("\(event.task): \(Self.status(event, elapsed: elapsed))" + (event.detail.map { " | \($0)" } ?? "") + "\n")
        case .finished, .failed:
            plainPrinted[event.task] = nil
            write(Self.ended(event) + "\n")
        }
    }

    private func terminal(_ event: ProgressEvent) {
        let index = running.firstIndex { $0.event.task == event.task }
        switch event.phase {
        case .started, .progress:
            if let index { running[index] = (event, now()) } else { running.append((event, now())) }
            redraw(permanent: [])
        case .finished, .failed:
            if let index { running.remove(at: index) }
            redraw(permanent: [(event.phase == .finished ? "✓ " : "✗ ") + Self.ended(event)])
        }
    }

    /// Erases the live block, prints `permanent` lines above it and draws it again.
    private func redraw(permanent: [String]) {
        guard case .terminal(let width) = mode else { return }
        var text = drawnLines > 0 ? "\u{1B}[\(drawnLines)A\r\u{1B}[J" : ""
        // Lines that stay are printed whole (a long one may wrap: the next redraw moves up
        // over the live lines only); live lines are cut to the width so they never wrap.
        for line in permanent { text += line + "\n" }
        let at = now()
        for (event, received) in running {
            let elapsed = (event.elapsed ?? 0) + at.timeIntervalSince(received)
            var line = "▸ \(event.task)  \(Self.status(event, elapsed: elapsed))"
            if let detail = event.detail, !detail.isEmpty { line += "  \(detail)" }
            text += Self.fit(line, width) + "\n"
        }
        drawnLines = running.count
        if !text.isEmpty { write(text) }
    }

    /// Keeps the elapsed times moving between events (a flash phase sends none while it runs).
    private func startTicking() {
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + 1, repeating: 1)
        timer.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.withLock { if !self.running.isEmpty { self.redraw(permanent: []) } }
        }
        timer.resume()
        self.timer = timer
    }

    // MARK: Text

    static func plainStart(_ event: ProgressEvent) -> String {
        var text = "\(event.task): started"
        if let estimate = event.estimate { text += " (last time \(duration(estimate)))" }
        if let total = event.total { text += ", \(amount(total, event.unit))" }
        return text
    }

    /// "1m23s of ~4m05s, 4.0 MiB of 16.0 MiB, 2.1 MiB/s"
    static func status(_ event: ProgressEvent, elapsed: Double) -> String {
        var parts = [duration(elapsed) + (event.estimate.map { " of ~\(duration($0))" } ?? "")]
        if let done = event.done {
            parts.append(amount(done, event.unit) + (event.total.map { " of \(amount($0, event.unit))" } ?? ""))
            if let rate = rate(done, event.unit, elapsed) { parts.append(rate) }
        }
        return parts.joined(separator: ", ")
    }

    static func ended(_ event: ProgressEvent) -> String {
        let elapsed = event.elapsed ?? 0
        if event.phase == .failed {
            return "\(event.task): FAILED after \(duration(elapsed))" + (event.detail.map { ": \($0)" } ?? "")
        }
        var text = "\(event.task): done in \(duration(elapsed))"
        if let done = event.done {
            text += ", \(amount(done, event.unit))"
            if let rate = rate(done, event.unit, elapsed) { text += " at \(rate)" }
        }
        return text
    }

    static func duration(_ seconds: Double) -> String {
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3600, (whole % 3600) / 60)
    }

    static func amount(_ value: Int64, _ unit: String?) -> String {
        guard unit == "bytes" else { return "\(value)" + (unit.map { " \($0)" } ?? "") }
        if value >= 1 << 20 { return String(format: "%.1f MiB", Double(value) / 1_048_576) }
        if value >= 1 << 10 { return String(format: "%.1f KiB", Double(value) / 1024) }
        return "\(value) B"
    }

    static func rate(_ done: Int64, _ unit: String?, _ elapsed: Double) -> String? {
        guard unit == "bytes", elapsed > 0, done > 0 else { return nil }
        return String(format: "%.1f MiB/s", Double(done) / 1_048_576 / elapsed)
    }

    /// Cuts a line to the terminal's width, so a long log line never wraps and breaks the
    /// cursor arithmetic of the next redraw.
    static func fit(_ line: String, _ width: Int) -> String {
        let limit = max(10, width - 1)
        return line.count <= limit ? line : String(line.prefix(limit - 1)) + "…"
    }
}
