import Foundation
import Support

/// A running QEMU machine driven over its serial console, as a person at the console would:
/// wait for text, type a line, expect the machine to stop. Everything the machine prints is
/// kept in a transcript (memory and a file). QEMU is killed on every path: `close()`,
/// deinit, a failed expectation (the caller closes), or Ctrl-C (`ConsoleSession.killAll`).
public final class ConsoleSession: @unchecked Sendable {
    public let machine: QEMUMachine
    public let transcriptURL: URL
    private let process = Process()
    private let input = Pipe()
    private let output = Pipe()
    private let condition = NSCondition()
    private var bytes: [UInt8] = []
    private var cursor = 0
    private var eof = false
    private let transcriptHandle: FileHandle?
    private let started = Date()

    /// Starts QEMU. The transcript is written to `transcriptURL` as it arrives.
    public init(machine: QEMUMachine, transcriptURL: URL) throws {
        self.machine = machine
        self.transcriptURL = transcriptURL
        guard let path = ProcessRunner.which(machine.binary) else { throw ProcessError.notFound(machine.binary) }
        try? FileManager.default.createDirectory(at: transcriptURL.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: transcriptURL.path, contents: nil)
        transcriptHandle = try? FileHandle(forWritingTo: transcriptURL)
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = machine.arguments
        process.standardInput = input
        process.standardOutput = output
        process.standardError = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let chunk = handle.availableData
            self?.append(chunk)
        }
        process.terminationHandler = { [weak self] _ in
            self?.markExited()
        }
        try process.run()
        RunningMachines.shared.add(process)
    }

    deinit {
        close()
    }

    private func append(_ chunk: Data) {
        condition.lock()
        if chunk.isEmpty { eof = true } else {
            bytes.append(contentsOf: chunk)
            transcriptHandle?.write(chunk)
        }
        condition.broadcast()
        condition.unlock()
    }

    private func markExited() {
        // Drain what is left in the pipe before reporting the end.
        let rest = output.fileHandleForReading.readDataToEndOfFile()
        condition.lock()
        if !rest.isEmpty {
            bytes.append(contentsOf: rest)
            transcriptHandle?.write(rest)
        }
        eof = true
        condition.broadcast()
        condition.unlock()
    }

    /// Everything the machine printed so far.
    public var transcript: String {
        condition.lock()
        defer { condition.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The last `count` lines of the transcript, for failure reports.
    public func tail(lines count: Int = 40) -> String {
        transcript.split(separator: "\n", omittingEmptySubsequences: false).suffix(count).joined(separator: "\n")
    }

    public var secondsSinceStart: Double { Date().timeIntervalSince(started) }

    /// Waits until the output after the previous match contains `pattern` (a regular
    /// expression), and returns the match; later waits look only after it.
    /// `failOn` (e.g. "Kernel panic") ends the wait at once with `ConsoleError.sawFailure`.
    @discardableResult
    public func waitFor(_ pattern: String, timeout: Double, failOn: String? = nil) throws -> String {
        let regex = try NSRegularExpression(pattern: pattern, options: [])
        let failure = try failOn.map { try NSRegularExpression(pattern: $0, options: []) }
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let text = String(decoding: bytes[cursor...], as: UTF8.self)
            if let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range, in: text) {
                cursor += text[..<range.upperBound].utf8.count
                return String(text[range])
            }
            if let failure, let match = failure.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
               let range = Range(match.range, in: text) {
                throw ConsoleError.sawFailure(pattern: pattern, failure: String(text[range]), transcript: transcriptURL.path)
            }
            if eof {
                throw ConsoleError.exitedBeforeMatch(pattern: pattern, status: process.isRunning ? nil : process.terminationStatus, transcript: transcriptURL.path)
            }
            if !condition.wait(until: deadline) {
                throw ConsoleError.timedOut(pattern: pattern, seconds: timeout, transcript: transcriptURL.path)
            }
        }
    }

    /// Types `line` and a carriage return on the serial console.
    public func send(_ line: String, newline: String = "\r") {
        input.fileHandleForWriting.write(Data((line + newline).utf8))
    }

    /// Waits for QEMU to exit and returns its status; kills it on timeout.
    @discardableResult
    public func expectExit(timeout: Double) throws -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        while process.isRunning || !eof {
            if !condition.wait(until: deadline) {
                condition.unlock()
                close()
                throw ConsoleError.didNotExit(seconds: timeout, transcript: transcriptURL.path)
            }
        }
        condition.unlock()
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// Stops QEMU (if still running) and closes the transcript.
    public func close() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        RunningMachines.shared.remove(process)
        output.fileHandleForReading.readabilityHandler = nil
        try? input.fileHandleForWriting.close()
        try? transcriptHandle?.synchronize()
    }

    /// Kills every QEMU this process started (for a SIGINT handler).
    public static func killAll() {
        RunningMachines.shared.killAll()
    }
}
