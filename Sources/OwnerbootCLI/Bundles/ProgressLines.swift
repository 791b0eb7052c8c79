import Foundation
import Support

/// Plain progress lines for fetch, export and import until the shared renderer replaces it:
/// one line when a task starts, finishes or fails, and at most every few seconds in between.
enum ProgressLines {
    static func sink(quiet: Bool) -> ProgressSink {
        { event in
            guard !quiet else { return }
            var line = "\(event.task): \(event.phase.rawValue)"
            if let done = event.done, let total = event.total, let unit = event.unit {
                line += unit == "bytes" ? " \(done >> 20)/\(total >> 20) MiB" : " \(done)/\(total) \(unit)"
            }
            if let detail = event.detail { line += " — \(detail)" }
            if let elapsed = event.elapsed { line += String(format: " (%.1f s)", elapsed) }
            if event.phase == .progress, let done = event.done, let total = event.total, event.unit != "bytes", done != total, done % 25 != 0 { return }
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
}
