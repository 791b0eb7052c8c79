import Dispatch
import Foundation
import Orchestrator

/// Ctrl-C during `ownerboot test`: every QEMU this process started is killed before it exits,
/// so no emulated machine outlives the command.
enum InterruptHandler {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                ConsoleSession.killAll()
                FileHandle.standardError.write(Data("\ninterrupted: stopped every QEMU machine\n".utf8))
                exit(130)
            }
            source.resume()
            sources.append(source)
        }
    }
}
