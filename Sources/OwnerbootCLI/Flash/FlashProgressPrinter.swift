import Flash
import Foundation
import Support

/// Draws a flash's progress on standard error, one line per phase with its time and rate
/// (libflashrom 1.3 reports no progress inside a phase).
enum FlashProgressPrinter {
    static func report(_ progress: FlashProgress) {
        let name = progress.phase.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
        if !progress.finished {
            let size = progress.bytes.map { " \(ByteSize.format($0))" } ?? ""
            FileHandle.standardError.write(Data("  \(name)\(size) …".utf8))
        } else {
            var tail = String(format: " done %.2f s", progress.seconds ?? 0)
            if let bytes = progress.bytes, let seconds = progress.seconds, seconds > 0, bytes > 0 {
                tail += String(format: " (%.1f MiB/s)", Double(bytes) / 1_048_576 / seconds)
            }
            FileHandle.standardError.write(Data("\(tail)\n".utf8))
        }
    }
}
