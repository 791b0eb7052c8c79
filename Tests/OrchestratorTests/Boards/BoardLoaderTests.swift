import Foundation
import Testing
@testable import Orchestrator

@Suite struct BoardLoaderTests {
    @Test func catalogListsTheEmulatedBoard() throws {
        let catalog = BoardCatalog(directory: RepositoryPaths.boards)
        #expect(try catalog.names().contains("qemu-x86"))
        let board = try catalog.load("qemu-x86")
        #expect(board.chip.sizeBytes == 16 << 20)
        #expect(board.writeProtect?.start == 0x800000)
    }

    @Test func unknownBoardListsKnownOnesAndTheNearMiss() throws {
        let catalog = BoardCatalog(directory: RepositoryPaths.boards)
        do {
            _ = try catalog.load("qemu-x68")
            Issue.record("loading an unknown board succeeded")
        } catch let error as BoardError {
            guard case .unknownBoard(_, let known, let suggestion) = error else { Issue.record("wrong error \(error)"); return }
            #expect(known.contains("qemu-x86"))
            #expect(suggestion == "qemu-x86")
        }
    }

    func parse(_ text: String) throws -> Board {
        try BoardLoader().parse(text, file: URL(fileURLWithPath: "/boards/demo/board.toml"))
    }

    let valid = """
        [board]
        name = "demo"

        [chip]
        name = "W25Q64.V"
        size = "8MiB"
        """

    @Test func validMinimalBoard() throws {
        let board = try parse(valid)
        #expect(board.chip.sizeBytes == 8 << 20)
        #expect(board.writeProtect == nil)
    }

    @Test func eachBoardSaysWhichTPMItHasAndOnlyTPM2OffersATPM2Unlock() throws {
        let catalog = BoardCatalog(directory: RepositoryPaths.boards)
        #expect(try catalog.load("qemu-x86").tpm == "2.0")
        #expect(try catalog.load("qemu-x86").unlockMethods.first == "tpm2")
        #expect(try catalog.load("x230").tpm == "1.2")
        #expect(try catalog.load("x230").unlockMethods == ["tang", "passphrase"])
        #expect(try catalog.load("hp-abm").unlockMethods == ["tang", "passphrase"])
        #expect(try parse(valid).tpm == nil)
        let bad = valid.replacingOccurrences(of: "name = \"demo\"\n", with: "name = \"demo\"\ntpm = \"2\"\n")
        do {
            _ = try parse(bad)
            Issue.record("tpm = \"2\" was accepted")
        } catch let error as BoardError {
            guard case .invalidValue(_, _, let key, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(key == "board.tpm")
        }
    }

    @Test func typoInKeyNamesLineAndSuggestion() throws {
        let text = valid.replacingOccurrences(of: "size = ", with: "sise = ")
        #expect(throws: BoardError.unknownKey(file: "/boards/demo/board.toml", line: 6, key: "chip.sise", suggestion: "chip.size")) {
            try parse(text)
        }
    }

    @Test func wrongTypeNamesLine() throws {
        let text = valid.replacingOccurrences(of: "size = \"8MiB\"", with: "size = 8")
        #expect(throws: BoardError.wrongType(file: "/boards/demo/board.toml", line: 6, key: "chip.size", expected: "a string")) {
            try parse(text)
        }
    }

    @Test func syntaxErrorNamesLine() throws {
        do {
            _ = try parse(valid + "\n[chip\n")
            Issue.record("bad TOML parsed")
        } catch let BoardError.syntax(_, line, _, _) {
            #expect(line == 7)
        }
    }

    @Test func boardNameMustMatchFolder() throws {
        #expect(throws: BoardError.self) { try parse(valid.replacingOccurrences(of: "\"demo\"", with: "\"other\"")) }
    }
}
