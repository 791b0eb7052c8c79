import Foundation
import Testing
import Orchestrator

/// `bench boot` reads systemd-analyze's line from a console transcript, in every unit systemd
/// prints (a slow emulated boot passes a minute).
struct SystemdAnalyzeTests {
    @Test func startupLineInSecondsAndMinutes() throws {
        let fast = try #require(SystemdAnalyze("root@qemu-x86:~# systemd-analyze | head -1\r\nStartup finished in 8.421s (kernel) + 14.402s (userspace) = 22.823s \r\nanalyzed-2\r\n"))
        #expect(abs(fast.kernel - 8.421) < 1e-9 && abs(fast.userspace - 14.402) < 1e-9)
        let slow = try #require(SystemdAnalyze("Startup finished in 14.203s (kernel) + 1min 2.5s (userspace) = 1min 16.703s\n"))
        #expect(abs(slow.userspace - 62.5) < 1e-9)
        #expect(abs(SystemdAnalyze.seconds("875ms") - 0.875) < 1e-9)
        #expect(SystemdAnalyze("Startup finished in 3s (kernel)\n") == nil)
        #expect(SystemdAnalyze("no such line") == nil)
    }
}
