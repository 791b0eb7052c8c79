import Foundation
import Testing
@testable import Orchestrator

/// The session boots what the flasher left in the emulated chip, not the built file.
@Suite struct BoardTestSessionTests {
    let toml = """
        [qemu]
        memory_mib = 64
        extra_args = ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]

        [[scenario]]
        name = "flashed"
        rom = "flashed"
        disk = "none"
        steps = [{ expect = "generation {generation} up", timeout = 30 }, { send = "q" }, { exit = 3, timeout = 20 }]

        [[scenario]]
        name = "update"
        rom = "update"
        disk = "none"
        steps = [{ expect = "generation {generation} up", timeout = 30 }, { send = "q" }, { exit = 3, timeout = 20 }]
        """

    @Test func flashedAndUpdateScenariosBootTheChipImage() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rom = dir.appendingPathComponent("gen2.rom")
        let previous = dir.appendingPathComponent("gen1.rom")
        try Data(ConsoleSessionTests.tinyFirmware(banner: "generation 2 up\r\n")).write(to: rom)
        try Data(ConsoleSessionTests.tinyFirmware(banner: "generation 1 up\r\n")).write(to: previous)
        let tests = try TestScenarioLoader().parse(toml, file: "tests.toml")
        let flashed = FlashLog()
        let session = BoardTestSession(
            tests: tests,
            artifacts: .init(rom: rom, osImage: dir.appendingPathComponent("unused"), previousROM: previous, variables: ["generation": "2"], luksUUID: nil),
            workDirectory: dir.appendingPathComponent("work"),
            flash: { source, chip, _ in
                flashed.append(source.lastPathComponent)
                try FileManager.default.removeItem(at: chip)
                try FileManager.default.copyItem(at: source, to: chip)
            })
        let results = try session.run()
        #expect(results.map(\.scenario) == ["flashed", "update"])
        #expect(results.allSatisfy { $0.passed }, "\(results.compactMap(\.failure))")
        #expect(flashed.names.sorted() == ["gen1.rom", "gen2.rom", "gen2.rom"])
        // The built file itself was never what booted: the chip images were.
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("work/update.chip.bin").path))
    }

    @Test func unknownScenarioSuggestsTheNearMiss() throws {
        let tests = try TestScenarioLoader().parse(toml, file: "tests.toml")
        let session = BoardTestSession(tests: tests, artifacts: .init(rom: URL(fileURLWithPath: "/x"), osImage: URL(fileURLWithPath: "/y"), previousROM: nil, variables: [:], luksUUID: nil), workDirectory: URL(fileURLWithPath: "/tmp"), flash: nil)
        #expect(throws: TestSessionError.unknownScenario(name: "flahsed", known: ["flashed", "update"])) { try session.select(["flahsed"]) }
    }
}

final class FlashLog: @unchecked Sendable {
    private let lock = NSLock()
    private var list: [String] = []
    func append(_ name: String) { lock.withLock { list.append(name) } }
    var names: [String] { lock.withLock { list } }
}
