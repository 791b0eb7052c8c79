import Foundation
import Support
import Testing
@testable import Orchestrator

/// Before a kexec hand-over the unlocker extends PCR 8 with the OS kernel's digest
/// (`ob-unlock -x`), because kexec measures nothing. Checked against swtpm: a TPM 2.0 (the
/// SHA-256 bank, read back with tpm2-tools) and a TPM 1.2 (the X230's family, SHA-1, read back
/// with a raw TPM_PCRRead), each PCR first shown to be zero so the test sees the change.
@Suite(.serialized) struct HandOverMeasurementTests {
    static func kernelFile(_ dir: URL) throws -> (url: URL, bytes: Data) {
        let bytes = Data((0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let url = dir.appendingPathComponent("vmlinuz")
        try bytes.write(to: url)
        return (url, bytes)
    }

    /// The value a PCR holds after one extend of a zero PCR with `digest`.
    static func extended(_ digest: [UInt8], tool: String) throws -> String {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("pcr")
        try Data([UInt8](repeating: 0, count: digest.count) + digest).write(to: file)
        return String(try ProcessRunner().checked(tool, [file.path]).stdoutText.prefix(digest.count * 2))
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test func aTPM2GetsTheKernelsSHA256InPCR8() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let obUnlock = try ClevisInteropTests.obUnlock(dir)
        let kernel = try Self.kernelFile(dir)
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
        defer { tpm.close() }
        var env = ProcessInfo.processInfo.environment
        env["TPM2TOOLS_TCTI"] = try #require(tpm.tcti)
        func pcr8() throws -> String {
            // tpm2_pcrread prints "  8 : 0x<64 hex digits>".
            let text = try ProcessRunner(environment: env).checked("tpm2_pcrread", ["sha256:8"]).stdoutText
            return try #require(text.split(separator: "\n").first { $0.contains(" 8 :") }?.split(separator: "x").last).lowercased()
        }
        #expect(try pcr8() == String(repeating: "0", count: 64))
        let run = try ProcessRunner().run(obUnlock.path, ["-t", "\(try #require(tpm.port))", "-V", "2", "-x", "8", kernel.url.path])
        #expect(run.status == 0, "\(run.stderrText)")
        let digest = SHA256Digest.hex(kernel.bytes)
        #expect(run.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == digest)
        #expect(try pcr8() == Self.extended(Self.hexBytes(digest), tool: "sha256sum"))
    }

    @Test func aTPM12GetsTheKernelsSHA1InPCR8() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let obUnlock = try ClevisInteropTests.obUnlock(dir)
        let kernel = try Self.kernelFile(dir)
        let tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true, family: .tpm12)
        defer { tpm.close() }
        let port = try #require(tpm.port)
        #expect(try Self.readTPM12PCR8(port: port) == String(repeating: "0", count: 40))
        let run = try ProcessRunner().run(obUnlock.path, ["-t", "\(port)", "-V", "1", "-x", "8", kernel.url.path])
        #expect(run.status == 0, "\(run.stderrText)")
        let sha1 = String(try ProcessRunner().checked("sha1sum", [kernel.url.path]).stdoutText.prefix(40))
        #expect(try Self.readTPM12PCR8(port: port) == Self.extended(Self.hexBytes(sha1), tool: "sha1sum"))
        // The wrong family's command is refused, and says so (no silent "measured").
        let wrong = try ProcessRunner().run(obUnlock.path, ["-t", "\(port)", "-V", "2", "-x", "8", kernel.url.path])
        #expect(wrong.status != 0 && wrong.stderrText.contains("refused"))
    }

    /// TPM_PCRRead (TPM 1.2 ordinal 0x15) of PCR 8 on swtpm's raw command port.
    static func readTPM12PCR8(port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = in_addr_t(UInt32(0x7f00_0001).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        let command: [UInt8] = [0x00, 0xC1, 0, 0, 0, 14, 0, 0, 0, 0x15, 0, 0, 0, 8]
        #expect(write(fd, command, command.count) == command.count)
        var response = [UInt8](repeating: 0, count: 64)
        var got = 0
        while got < 30 {
            let n = response.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, 64 - got) }
            guard n > 0 else { break }
            got += n
        }
        #expect(got == 30 && response[6...9] == [0, 0, 0, 0])
        return response[10..<30].map { String(format: "%02x", $0) }.joined()
    }
}
