import Foundation
import Testing
@testable import Orchestrator

/// Drives QEMU with a 64 KiB firmware made here: it prints a banner on COM1, echoes what it
/// reads, and exits through isa-debug-exit on 'q'. Real QEMU, no board build needed.
@Suite struct ConsoleSessionTests {
    /// Real-mode code at 0xF0000, reached by a far jump from the reset vector.
    static func tinyFirmware(banner: String) -> [UInt8] {
        var image = [UInt8](repeating: 0xFF, count: 65536)
        var code: [UInt8] = [0xBA, 0xF8, 0x03]  // mov dx, 0x3f8
        for byte in Array(banner.utf8) { code += [0xB0, byte, 0xEE] }  // mov al, byte; out dx, al
        let loop = code.count
        code += [0xBA, 0xFD, 0x03, 0xEC, 0xA8, 0x01, 0x74, 0x00]  // wait for a received byte
        code[code.count - 1] = UInt8(truncatingIfNeeded: loop - code.count)
        code += [0xBA, 0xF8, 0x03, 0xEC, 0xEE, 0x3C, UInt8(ascii: "q"), 0x75, 0x00]  // read, echo, until 'q'
        code[code.count - 1] = UInt8(truncatingIfNeeded: loop - code.count)
        code += [0xBA, 0xF4, 0x00, 0xB0, 0x01, 0xEE, 0xF4]  // isa-debug-exit(1) → QEMU status 3
        image.replaceSubrange(0..<code.count, with: code)
        image.replaceSubrange(0xFFF0..<0xFFF5, with: [0xEA, 0x00, 0x00, 0x00, 0xF0])
        return image
    }

    func start(_ dir: URL, banner: String = "tinybios: ready\r\n") throws -> ConsoleSession {
        let bios = dir.appendingPathComponent("tiny.bin")
        try Data(Self.tinyFirmware(banner: banner)).write(to: bios)
        let machine = QEMUMachine(bios: bios.path, extraArguments: ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"])
        return try ConsoleSession(machine: machine, transcriptURL: dir.appendingPathComponent("console.log"))
    }

    @Test func waitSendAndExit() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let console = try start(dir)
        defer { console.close() }
        try console.waitFor("tinybios: ready", timeout: 30)
        console.send("hello", newline: "")
        try console.waitFor("hel+o", timeout: 10)
        console.send("q", newline: "")
        #expect(try console.expectExit(timeout: 10) == 3)
        let saved = try String(contentsOf: console.transcriptURL, encoding: .utf8)
        #expect(saved.contains("tinybios: ready"))
        #expect(saved.hasSuffix("helloq"))
    }

    @Test func missingTextTimesOutAndNamesTheTranscript() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let console = try start(dir)
        defer { console.close() }
        do {
            try console.waitFor("login:", timeout: 2)
            Issue.record("waiting for text that never comes succeeded")
        } catch let ConsoleError.timedOut(pattern, _, transcript) {
            #expect(pattern == "login:")
            #expect(transcript == console.transcriptURL.path)
        }
        console.close()
        #expect(console.tail().contains("tinybios: ready"))
    }

    @Test func machinesRunSideBySide() throws {
        let dirs = try (0..<3).map { _ in try RepositoryPaths.temporaryDirectory() }
        defer { dirs.forEach { try? FileManager.default.removeItem(at: $0) } }
        let consoles = try dirs.enumerated().map { try start($1, banner: "machine \($0) up\r\n") }
        defer { consoles.forEach { $0.close() } }
        for (index, console) in consoles.enumerated() {
            try console.waitFor("machine \(index) up", timeout: 30)
            console.send("q", newline: "")
            #expect(try console.expectExit(timeout: 10) == 3)
        }
    }
}
