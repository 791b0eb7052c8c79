import Foundation
import Support

/// The QEMU processes alive in this process, so Ctrl-C can take them all down.
final class RunningMachines: @unchecked Sendable {
    static let shared = RunningMachines()
    private let lock = NSLock()
    private var processes: [ObjectIdentifier: Process] = [:]

    func add(_ process: Process) {
        lock.withLock { processes[ObjectIdentifier(process)] = process }
    }

    func remove(_ process: Process) {
        _ = lock.withLock { processes.removeValue(forKey: ObjectIdentifier(process)) }
    }

    func killAll() {
        lock.withLock {
            for process in processes.values where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
}
