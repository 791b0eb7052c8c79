import Foundation

/// The one way ownerboot runs an external program: argument vector (no shell), optional
/// environment and working directory, captured output, a timeout that kills the whole
/// process group, and the exit status. Used by the sandbox, the QEMU driver, setup and tests.
public struct ProcessRunner: Sendable {
    /// What a finished program left behind.
    public struct Result: Sendable {
        public let executable: String
        public let arguments: [String]
        public let status: Int32
        public let stdout: Data
        public let stderr: Data
        public let timedOut: Bool
        public let seconds: Double

        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
        public var succeeded: Bool { status == 0 && !timedOut }

        /// Throws a `ProcessError` unless the program exited 0 in time.
        @discardableResult
        public func check() throws -> Result {
            if timedOut { throw ProcessError.timedOut(command: commandLine, seconds: seconds) }
            if status != 0 {
                throw ProcessError.failed(command: commandLine, status: status, stderrTail: Self.tail(stderrText.isEmpty ? stdoutText : stderrText))
            }
            return self
        }

        public var commandLine: String { ([executable] + arguments).joined(separator: " ") }

        public static func tail(_ text: String, lines: Int = 20) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }
    }

    public var environment: [String: String]?
    public var workingDirectory: URL?
    public var timeout: Double?
    /// When set, standard output and standard error both go to this file as the program
    /// writes them (a build log someone can follow while it runs); the result's `stdout`
    /// then holds the file's content and `stderr` is empty.
    public var combinedOutput: URL?

    public init(environment: [String: String]? = nil, workingDirectory: URL? = nil, timeout: Double? = nil, combinedOutput: URL? = nil) {
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.timeout = timeout
        self.combinedOutput = combinedOutput
    }

    /// Finds `name` on PATH (or returns it when it already contains a slash).
    public static func which(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `executable` (a path or a name on PATH) to completion. Standard input is
    /// `stdin` when given, otherwise /dev/null, so a program never waits on the terminal.
    public func run(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Result {
        guard let path = Self.which(executable) else { throw ProcessError.notFound(executable) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }

        // Output goes to temporary files rather than pipes: a chatty program (a kernel
        // build) can never block on a full pipe while we wait for it.
        let tmp = FileManager.default.temporaryDirectory
        let outURL = tmp.appendingPathComponent("ownerboot-run-\(UUID().uuidString).out")
        let errURL = tmp.appendingPathComponent("ownerboot-run-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        let outHandle: FileHandle
        if let combinedOutput {
            _ = FileManager.default.createFile(atPath: combinedOutput.path, contents: nil)
            outHandle = try FileHandle(forWritingTo: combinedOutput)
        } else {
            outHandle = try FileHandle(forWritingTo: outURL)
        }
        let errHandle = try FileHandle(forWritingTo: errURL)
        process.standardOutput = outHandle
        process.standardError = combinedOutput == nil ? errHandle : outHandle
        let inPipe = Pipe()
        if stdin != nil { process.standardInput = inPipe } else { process.standardInput = FileHandle.nullDevice }

        let start = Date()
        let finished = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in finished.signal() }
        do { try process.run() } catch { throw ProcessError.notFound("\(path): \(error)") }
        if let stdin {
            inPipe.fileHandleForWriting.write(stdin)
            try? inPipe.fileHandleForWriting.close()
        }
        var timedOut = false
        if let timeout {
            if finished.wait(timeout: .now() + timeout) == .timedOut {
                timedOut = true
                kill(-process.processIdentifier, SIGKILL)
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                finished.wait()
            }
        } else {
            finished.wait()
        }
        try? outHandle.close()
        try? errHandle.close()
        let out = (try? Data(contentsOf: combinedOutput ?? outURL)) ?? Data()
        let err = (try? Data(contentsOf: errURL)) ?? Data()
        return Result(
            executable: path, arguments: arguments, status: process.terminationStatus,
            stdout: out, stderr: err, timedOut: timedOut, seconds: Date().timeIntervalSince(start))
    }

    /// Runs and throws unless the program exits 0.
    @discardableResult
    public func checked(_ executable: String, _ arguments: [String], stdin: Data? = nil) throws -> Result {
        try run(executable, arguments, stdin: stdin).check()
    }
}

/// Why an external program did not do its job.
public enum ProcessError: Error, CustomStringConvertible {
    case notFound(String)
    case failed(command: String, status: Int32, stderrTail: String)
    case timedOut(command: String, seconds: Double)

    public var description: String {
        switch self {
        case .notFound(let name):
            return "program '\(name)' not found: run `bash scripts/setup.sh` as root to install ownerboot's dependencies"
        case .failed(let command, let status, let tail):
            return "`\(command)` exited with status \(status):\n\(tail)"
        case .timedOut(let command, let seconds):
            return "`\(command)` did not finish in \(Int(seconds)) s and was killed"
        }
    }
}
