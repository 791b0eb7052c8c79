import Foundation
import Support

/// The session's tang server: its keys, made once, and QEMU's network that reaches it.
extension BoardTestSession {
    /// Where the session's tang keys live; made (tangd-keygen) on first use.
    func tangDirectory() throws -> URL {
        let keys = workDirectory.appendingPathComponent("tang")
        Self.tangLock.lock()
        defer { Self.tangLock.unlock() }
        if !FileManager.default.fileExists(atPath: keys.appendingPathComponent("adv.jws").path) {
            try? FileManager.default.removeItem(at: keys)
            try FileManager.default.createDirectory(at: keys.appendingPathComponent("db"), withIntermediateDirectories: true)
            try ProcessRunner(timeout: 60).checked(Self.tangd + "-keygen", [keys.appendingPathComponent("db").path])
            // The advertisement as tangd serves it (GET /adv on its standard input).
            let reply = try ProcessRunner(timeout: 60).checked(Self.tangd, [keys.appendingPathComponent("db").path], stdin: Data("GET /adv HTTP/1.0\r\n\r\n".utf8)).stdoutText
            guard let body = reply.range(of: "\r\n\r\n").map({ String(reply[$0.upperBound...]) }), body.contains("payload") else {
                throw TestSessionError.tangFailed(reason: "tangd served no advertisement")
            }
            try Data(body.utf8).write(to: keys.appendingPathComponent("adv.jws"))
        }
        return keys
    }

    static let tangd = "/usr/libexec/tangd"
    static let tangLock = NSLock()
    /// Where the machine finds tang: QEMU's user network forwards this address.
    static let tangURL = "http://10.0.2.100"

    /// QEMU's network for a scenario with tang: user networking with `restrict=on` (no
    /// traffic leaves QEMU) and, when tang is up, one `guestfwd` that runs tangd for each
    /// connection to 10.0.2.100:80 (no listening socket on the host); stalling: a dripping
    /// command there instead.
    func tangArguments(_ scenario: TestScenario) throws -> [String] {
        switch scenario.tang {
        case .none: return []
        case .down: return ["-netdev", "user,id=net0,restrict=on", "-device", "virtio-net-pci,netdev=net0"]
        case .stalling:
            // Network position: whatever answers at tang's address drips a byte every 2.5 s (a
            // per-read timeout of 3 s would wait for ever).
            return ["-netdev", "user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:sh -c \"while printf H; do sleep 2.5; done 2>/dev/null\"", "-device", "virtio-net-pci,netdev=net0"]
        case .up:
            let db = try tangDirectory().appendingPathComponent("db").path
            return ["-netdev", "user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:sh -c \"exec \(Self.tangd) \(db) 2>/dev/null\"", "-device", "virtio-net-pci,netdev=net0"]
        }
    }
}
