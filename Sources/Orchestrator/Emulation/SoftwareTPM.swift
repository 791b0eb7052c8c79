import Foundation
import Support

/// A TPM 2.0 for one QEMU run: `swtpm` with its state in `stateDirectory` (one directory per
/// emulated device, so a sealed key survives from one boot of that device to the next),
/// reached by QEMU over a control socket as a `tpm-tis` device. swtpm serves one QEMU
/// process and exits with it; `close()` makes sure of that on every path.
public final class SoftwareTPM: @unchecked Sendable {
    public let stateDirectory: URL
    /// The directory holding the control socket: short, because a Unix socket path is at most
    /// 107 bytes and a scenario's work directory can be deep.
    private let socketDirectory: URL
    private var process = Process()

    public var socketPath: String { socketDirectory.appendingPathComponent("ctrl").path }

    /// The QEMU arguments that attach this TPM as the machine's `tpm-tis` device.
    public var qemuArguments: [String] {
        ["-chardev", "socket,id=tpmchr,path=\(socketPath)", "-tpmdev", "emulator,id=tpm0,chardev=tpmchr", "-device", "tpm-tis,tpmdev=tpm0"]
    }

    /// For tools on the host (tpm2-tss's swtpm TCTI) when the TPM serves on loopback.
    public private(set) var tcti: String? = nil
    /// The loopback port of its TPM command channel (raw TPM 2.0 commands), when it has one.
    public private(set) var port: Int? = nil

    /// Starts swtpm for QEMU and waits (at most `timeout` seconds) until its socket accepts.
    public convenience init(stateDirectory: URL, family: TPMFamily = .tpm20, timeout: TimeInterval = 10) throws {
        try self.init(stateDirectory: stateDirectory, loopback: false, timeout: timeout, ports: Self.candidatePort, family: family)
    }

    /// `loopback`: instead of QEMU, the device's TPM serves host tools (enrolment) on a
    /// 127.0.0.1 port, already started up; nothing listens beyond loopback.
    /// `family`: `.tpm12` serves a TPM 1.2 instead (the X230's), for what the unlocker measures into it.
    public convenience init(stateDirectory: URL, loopback: Bool, family: TPMFamily = .tpm20, timeout: TimeInterval = 10) throws {
        try self.init(stateDirectory: stateDirectory, loopback: loopback, timeout: timeout, ports: Self.candidatePort, family: family)
    }

    /// `ports` draws the loopback command port to try (its control channel is the next one).
    init(stateDirectory: URL, loopback: Bool, timeout: TimeInterval, ports: () -> Int, family: TPMFamily = .tpm20) throws {
        let tpm12 = family == .tpm12
        self.stateDirectory = stateDirectory
        guard let binary = ProcessRunner.which("swtpm") else { throw SoftwareTPMError.notInstalled }
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let template = FileManager.default.temporaryDirectory.appendingPathComponent("ob-tpm-XXXXXX").path
        var buffer = Array(template.utf8CString)
        guard mkdtemp(&buffer) != nil else { throw SoftwareTPMError.socketDirectory(template) }
        socketDirectory = URL(fileURLWithPath: String(cString: buffer))
        guard loopback else {
            try start(binary: binary, arguments: ["socket"] + (tpm12 ? [] : ["--tpm2"]) + [
                "--tpmstate", "dir=\(stateDirectory.path)",
                "--ctrl", "type=unixio,path=\(socketPath)", "--terminate",
            ], ready: { FileManager.default.fileExists(atPath: self.socketPath) }, timeout: timeout)
            return
        }
        // Scenarios run side by side, so two loopback TPMs can draw the same pair: a port taken
        // between the check and swtpm's bind makes swtpm exit ("Address already in use"), and
        // another pair is drawn. The pairs lie below Linux's ephemeral range (32768-60999), so
        // no outgoing connection on this machine holds one.
        for attempt in 1...Self.portAttempts {
            let port = ports()
            guard !Self.accepts(port: port), !Self.accepts(port: port + 1) else { continue }
            do {
                try start(binary: binary, arguments: ["socket"] + (tpm12 ? [] : ["--tpm2"]) + [
                    "--tpmstate", "dir=\(stateDirectory.path)",
                    "--server", "type=tcp,port=\(port),bindaddr=127.0.0.1", "--ctrl", "type=tcp,port=\(port + 1),bindaddr=127.0.0.1",
                    "--flags", "startup-clear",
                ], ready: { Self.accepts(port: port) }, timeout: timeout)
                tcti = "swtpm:host=127.0.0.1,port=\(port)"
                self.port = port
                return
            } catch SoftwareTPMError.didNotStart(_, let output) where output.contains("Address already in use") && attempt < Self.portAttempts {
                process = Process()
            }
        }
        throw SoftwareTPMError.noFreePort(attempts: Self.portAttempts)
    }

    static let portAttempts = 8

    /// An even loopback port for the command channel (its control channel is the next one).
    static func candidatePort() -> Int { Int.random(in: 10_000..<16_000) * 2 }

    /// Runs swtpm with `arguments` and waits (at most `timeout` seconds) until `ready`; on
    /// failure, stops it and reports what it printed.
    private func start(binary: String, arguments: [String], ready: () -> Bool, timeout: TimeInterval) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        let log = Pipe()
        process.standardOutput = log
        process.standardError = log
        try process.run()
        RunningMachines.shared.add(process)
        let deadline = Date().addingTimeInterval(timeout)
        // A listener that is not this swtpm (it exited on a bind failure) does not count.
        while !(ready() && process.isRunning) {
            guard process.isRunning, Date() < deadline else {
                let output = process.isRunning ? "" : String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
                stop()
                throw SoftwareTPMError.didNotStart(state: stateDirectory.path, output: output)
            }
            usleep(20_000)
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { Foundation.close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    deinit { close() }

    /// Stops swtpm (if QEMU has not already ended it) and removes the socket directory; the
    /// state directory stays, it is the device's TPM.
    public func close() {
        stop()
        try? FileManager.default.removeItem(at: socketDirectory)
    }

    /// Ends swtpm if it still runs.
    private func stop() {
        if process.isRunning {
            // swtpm keeps its state on disk after every command; a server-mode swtpm does not
            // always leave on SIGTERM, so it gets two seconds and then SIGKILL.
            process.terminate()
            let deadline = Date().addingTimeInterval(2)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        RunningMachines.shared.remove(process)
    }
}

/// Why a software TPM could not be started.
public enum SoftwareTPMError: UserFacingError, Equatable {
    case notInstalled
    case socketDirectory(String)
    case didNotStart(state: String, output: String)
    case noFreePort(attempts: Int)

    public var message: String {
        switch self {
        case .notInstalled: return "swtpm is not installed (a scenario asks for a TPM)"
        case .socketDirectory(let path): return "could not create a directory for the TPM socket (\(path))"
        case .didNotStart(let state, let output): return "swtpm with state \(state) did not start: \(output)"
        case .noFreePort(let attempts): return "no free pair of loopback ports for swtpm in \(attempts) tries (ports 20000-31999)"
        }
    }

    public var fix: String? {
        switch self {
        case .notInstalled: return "run scripts/setup.sh (it installs swtpm), or `apt-get install swtpm swtpm-tools`"
        case .socketDirectory: return "check that the temporary directory is writable"
        case .didNotStart: return "remove the state directory if it is damaged; check that `swtpm socket --tpm2 --help` runs"
        case .noFreePort: return "stop other swtpm instances listening on 127.0.0.1 (`ss -ltnp | grep swtpm`) and run again"
        }
    }
}
