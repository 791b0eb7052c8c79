import Flash
import Support

/// Turns a flash's phases into the `ProgressEvent`s every long task reports in, so a flash
/// is drawn by the same `ProgressRenderer` as a build: one task per phase ("flash write"),
/// with the bytes it moves and, when it ends, its time and rate. libflashrom 1.3 reports no
/// progress inside a phase; the renderer keeps the elapsed time moving meanwhile.
enum FlashProgressEvents {
    static func event(_ progress: FlashProgress) -> ProgressEvent {
        let task = "flash \(progress.phase.rawValue)"
        let bytes = progress.bytes.map(Int64.init)
        if !progress.finished {
            return ProgressEvent(task: task, phase: .started, total: bytes, unit: bytes == nil ? nil : "bytes", elapsed: 0)
        }
        return ProgressEvent(task: task, phase: .finished, done: bytes, total: bytes, unit: bytes == nil ? nil : "bytes", elapsed: progress.seconds ?? 0)
    }
}
