@testable import Flash
import Foundation
import Support
import Testing
@testable import OwnerbootCLI

/// The three ways long work is shown: plain lines, NDJSON, a live terminal display.
struct ProgressRendererTests {
    final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var chunks: [String] = []
        func write(_ text: String) { lock.withLock { chunks.append(text) } }
        var text: String { lock.withLock { chunks.joined() } }
    }

    /// A cold kernel build and a flash write, as the Builder and a flash report them.
    static let events: [ProgressEvent] = [
        ProgressEvent(task: "build kernel", phase: .started, elapsed: 0, estimate: 245),
        ProgressEvent(task: "build kernel", phase: .progress, detail: "CC      init/main.o", elapsed: 1, estimate: 245),
        ProgressEvent(task: "flash write", phase: .started, total: 16 << 20, unit: "bytes", elapsed: 0),
        ProgressEvent(task: "build kernel", phase: .progress, detail: "CC      mm/slab.o", elapsed: 20, estimate: 245),
        ProgressEvent(task: "build kernel", phase: .progress, detail: "LD      vmlinux", elapsed: 31, estimate: 245),
        ProgressEvent(task: "flash write", phase: .finished, done: 16 << 20, total: 16 << 20, unit: "bytes", elapsed: 4),
        ProgressEvent(task: "build kernel", phase: .finished, elapsed: 242.4, estimate: 245),
        ProgressEvent(task: "build rom", phase: .started, elapsed: 0),
        ProgressEvent(task: "build rom", phase: .failed, detail: "builder of rom exited with status 2", elapsed: 1.3),
    ]

    func render(_ mode: ProgressRenderer.Mode) -> String {
        let output = Output()
        let renderer = ProgressRenderer(mode: mode, now: { Date(timeIntervalSince1970: 0) }, write: output.write)
        Self.events.forEach(renderer.handle)
        renderer.finish()
        return output.text
    }

    @Test func plainLinesSayWhenTasksStartAndEndAndThrottleProgress() {
        #expect(render(.plain) == """
            build kernel: started (last time 4m05s)
            flash write: started, 16.0 MiB
            build kernel: 31s of ~4m05s | LD      vmlinux
            flash write: done in 4.0s, 16.0 MiB at 4.0 MiB/s
            build kernel: done in 4m02s
            build rom: started
            build rom: FAILED after 1.3s: builder of rom exited with status 2

            """)
    }

    @Test func jsonIsOneEventPerLineThatDecodesBack() throws {
        let text = render(.json)
        let lines = text.split(separator: "\n")
        #expect(lines.count == Self.events.count)
        #expect(String(lines[0]) == #"{"elapsed":0,"estimate":245,"phase":"started","task":"build kernel"}"#)
        #expect(String(lines[5]) == #"{"done":16777216,"elapsed":4,"phase":"finished","task":"flash write","total":16777216,"unit":"bytes"}"#)
        let decoded = try lines.map { try JSONDecoder().decode(ProgressEvent.self, from: Data($0.utf8)) }
        #expect(decoded == Self.events)
    }

    @Test func theTerminalDisplayRedrawsInPlaceAndEndsWithOnlyTheFinishedLines() {
        let text = render(.terminal(width: 40))
        // It drew live lines and moved the cursor back up over them to redraw.
        #expect(text.contains("▸ build kernel  1.0s of ~4m05s  CC    …"))
        #expect(text.contains("\u{1B}[2A\r\u{1B}[J"))
        let screen = TerminalScreen.render(text)
        #expect(screen == [
            "✓ flash write: done in 4.0s, 16.0 MiB at 4.0 MiB/s",
            "✓ build kernel: done in 4m02s",
            "✗ build rom: FAILED after 1.3s: builder of rom exited with status 2",
        ])
        // Live lines are cut to the width, so redrawing never has to account for a wrap.
        let live = text.components(separatedBy: "\n").filter { $0.contains("▸") }.map { $0.replacingOccurrences(of: "\u{1B}[J", with: "").components(separatedBy: "\r").last! }
        #expect(!live.isEmpty && live.allSatisfy { $0.count <= 39 })
    }

    @Test func notesAppearAboveTheLiveBlockAndNotInJSON() {
        let output = Output()
        let renderer = ProgressRenderer(mode: .terminal(width: 80), now: { Date(timeIntervalSince1970: 0) }, write: output.write)
        renderer.handle(ProgressEvent(task: "build os", phase: .started, elapsed: 0))
        renderer.note("building the previous release")
        renderer.handle(ProgressEvent(task: "build os", phase: .finished, elapsed: 0.5))
        renderer.finish()
        #expect(TerminalScreen.render(output.text) == ["building the previous release", "✓ build os: done in 0.5s"])
        let json = Output()
        let quiet = ProgressRenderer(mode: .json, write: json.write)
        quiet.note("not an event")
        #expect(json.text.isEmpty)
    }

    @Test func flashPhasesBecomeTasksWithBytes() {
        let start = FlashProgressEvents.event(FlashProgress(phase: .write, finished: false, bytes: 4096, seconds: nil))
        #expect(start == ProgressEvent(task: "flash write", phase: .started, total: 4096, unit: "bytes", elapsed: 0))
        let end = FlashProgressEvents.event(FlashProgress(phase: .write, finished: true, bytes: 4096, seconds: 2))
        #expect(end == ProgressEvent(task: "flash write", phase: .finished, done: 4096, total: 4096, unit: "bytes", elapsed: 2))
        #expect(FlashProgressEvents.event(FlashProgress(phase: .probe, finished: true, bytes: nil, seconds: 0.1)).unit == nil)
    }
}

/// Plays terminal output onto a screen the way a VT100 does for the sequences the renderer
/// uses (newline, carriage return, cursor up, erase to the end of the screen): what a user
/// sees once the command ends.
enum TerminalScreen {
    static func render(_ text: String) -> [String] {
        var lines: [String] = [""]
        var row = 0, column = 0
        var scalars = Array(text.unicodeScalars)[...]
        while let c = scalars.popFirst() {
            switch c {
            case "\n":
                row += 1; column = 0
                if row == lines.count { lines.append("") }
            case "\r": column = 0
            case "\u{1B}":
                guard scalars.popFirst() == "[" else { continue }
                var number = ""
                while let d = scalars.first, d.properties.numericType != nil { number.unicodeScalars.append(d); scalars.removeFirst() }
                switch scalars.popFirst() {
                case "A": row = max(0, row - (Int(number) ?? 1))
                case "J":
                    lines[row] = String(lines[row].prefix(column))
                    lines.removeSubrange((row + 1)...)
                default: break
                }
            default:
                var line = Array(lines[row])
                while line.count < column { line.append(" ") }
                if column < line.count { line[column] = Character(c) } else { line.append(Character(c)) }
                lines[row] = String(line)
                column += 1
            }
        }
        while lines.last == "" { lines.removeLast() }
        return lines
    }
}
