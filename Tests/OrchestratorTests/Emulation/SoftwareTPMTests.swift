import Foundation
import Support
import Testing
@testable import Orchestrator

/// The loopback TPM that enrolment talks to: scenarios run side by side, so its port pair may
/// be taken; it must then come up on another pair and answer there, never on the taken one.
@Suite struct SoftwareTPMTests {
    /// A TCP socket bound to 127.0.0.1:`port` but not listening (nil when that port cannot be
    /// bound): the port is taken, yet a connection to it is refused, as in the moment between
    /// another swtpm's bind and its listen.
    static func bindOnly(_ port: Int) -> Int32? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard bound else { close(fd); return nil }
        return fd
    }

    @Test(.enabled(if: ProcessRunner.which("swtpm") != nil, "swtpm is not installed"))
    func aTakenPortPairIsSkippedAndTheTPMAnswersOnTheNext() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Take a pair's control port without listening: both ports look free to the check,
        // swtpm's bind fails ("Address already in use"), and another pair must be drawn.
        var taken: (fd: Int32, port: Int)?
        for _ in 0..<20 where taken == nil {
            let port = SoftwareTPM.candidatePort()
            if let fd = Self.bindOnly(port + 1) { taken = (fd, port) }
        }
        let (fd, takenPort) = try #require(taken)
        defer { close(fd) }
        var draws = 0
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true, timeout: 10) {
            draws += 1
            guard draws > 1 else { return takenPort }
            var port = SoftwareTPM.candidatePort()
            while port == takenPort { port = SoftwareTPM.candidatePort() }
            return port
        }
        defer { tpm.close() }
        let port = try #require(tpm.port)
        #expect(port != takenPort)
        #expect(draws >= 2)
        #expect(tpm.tcti == "swtpm:host=127.0.0.1,port=\(port)")
        // The TPM answers on its command port: TPM2_GetRandom through tpm2-tools' swtpm TCTI.
        if ProcessRunner.which("tpm2_getrandom") != nil {
            let result = try ProcessRunner(timeout: 30).checked("tpm2_getrandom", ["-T", tpm.tcti!, "--hex", "8"])
            #expect(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines).count == 16)
        }
    }
}
