import Foundation
import Testing
@testable import Orchestrator

/// Where an `ownerboot` run anywhere finds its boards, and what it says when it finds none.
struct BoardCatalogLocateTests {
    /// base/elsewhere (no boards/ above it), base/home/config.toml, base/mine/boards/b1.
    struct Layout {
        let base: URL
        var elsewhere: URL { base.appendingPathComponent("elsewhere") }
        var config: URL { base.appendingPathComponent("home/config.toml") }
        var mine: URL { base.appendingPathComponent("mine/boards") }

        init() throws {
            base = try RepositoryPaths.temporaryDirectory()
            for dir in [elsewhere, mine.appendingPathComponent("b1"), config.deletingLastPathComponent()] {
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            }
            try Data("[board]\nname = \"b1\"\n".utf8).write(to: mine.appendingPathComponent("b1/board.toml"))
        }

        func writeConfig(_ text: String) throws { try Data(text.utf8).write(to: config) }
        func locate(_ environment: [String: String] = [:], from directory: URL? = nil) throws -> BoardCatalog {
            try BoardCatalog.locate(configFile: config, environment: environment, currentDirectory: directory ?? elsewhere)
        }
    }

    @Test func theConfiguredDirectoryIsUsedOutsideAnyCheckout() throws {
        let layout = try Layout()
        defer { try? FileManager.default.removeItem(at: layout.base) }
        try #require(!FileManager.default.fileExists(atPath: "/tmp/boards") && !FileManager.default.fileExists(atPath: "/boards"))
        // Nothing configured: the error says where it looked and how to configure it.
        do {
            _ = try layout.locate()
            Issue.record("found boards where none are")
        } catch let error as BoardError {
            #expect(error == .noBoardsDirectory(searchedFrom: layout.elsewhere.path, configFile: layout.config.path))
            #expect(error.message.contains(layout.elsewhere.path) && error.message.contains(layout.config.path))
            #expect(error.fix?.contains("boards = ") == true && error.fix?.contains(layout.config.path) == true)
        }
        // Configured relative to the file's folder, absolute, and from the home folder.
        try layout.writeConfig("# where my boards live\nboards = \"../mine/boards\"\n")
        #expect(try layout.locate().directory.path == layout.mine.path)
        #expect(try layout.locate().names() == ["b1"])
        try layout.writeConfig("boards = \"\(layout.mine.path)\"\n")
        #expect(try layout.locate().directory.path == layout.mine.path)
        try layout.writeConfig("boards = \"~/mine/boards\"\n")
        #expect(try layout.locate(["HOME": layout.base.path]).directory.path == layout.mine.path)
    }

    @Test func aCheckoutOrTheEnvironmentComesBeforeTheConfiguration() throws {
        let layout = try Layout()
        defer { try? FileManager.default.removeItem(at: layout.base) }
        try layout.writeConfig("boards = \"\(layout.mine.path)\"\n")
        let checkout = layout.base.appendingPathComponent("checkout")
        try FileManager.default.createDirectory(at: checkout.appendingPathComponent("boards"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: checkout.appendingPathComponent("docs/deep"), withIntermediateDirectories: true)
        #expect(try layout.locate(from: checkout.appendingPathComponent("docs/deep")).directory.path == checkout.appendingPathComponent("boards").path)
        #expect(try layout.locate(["OWNERBOOT_BOARDS": checkout.appendingPathComponent("boards").path]).directory.path == checkout.appendingPathComponent("boards").path)
        #expect(try layout.locate().directory.path == layout.mine.path)
    }

    @Test func aBadConfigurationNamesTheFileLineAndKey() throws {
        let layout = try Layout()
        defer { try? FileManager.default.removeItem(at: layout.base) }
        try layout.writeConfig("# settings\nbords = \"/x\"\n")
        #expect(throws: BoardError.unknownKey(file: layout.config.path, line: 2, key: "bords", suggestion: "boards")) { try layout.locate() }
        try layout.writeConfig("boards = 3\n")
        #expect(throws: BoardError.wrongType(file: layout.config.path, line: 1, key: "boards", expected: "a path in quotes, e.g. boards = \"~/src/my-boards/boards\"")) { try layout.locate() }
        try layout.writeConfig("boards = \"\(layout.base.path)/gone\"\n")
        #expect(throws: BoardError.boardsDirectoryMissing(path: layout.base.path + "/gone", source: "boards in \(layout.config.path)")) { try layout.locate() }
        try layout.writeConfig("boards = [\n")
        #expect(throws: BoardError.self) { try layout.locate() }
        // The same file, corrected, works.
        try layout.writeConfig("boards = \"\(layout.mine.path)\"\n")
        #expect(try layout.locate().names() == ["b1"])
    }
}
