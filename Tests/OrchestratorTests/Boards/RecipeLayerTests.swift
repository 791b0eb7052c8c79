import Foundation
import Testing
@testable import Orchestrator

/// The recipe layer: a board includes a profile and overrides only what differs; file names
/// are found in the board's folder, then the owner's recipes, then the shipped ones; errors
/// name the file (board or profile) and line that wrote the key; a snapshot holds the resolved
/// files and reads with no layer.
@Suite struct RecipeLayerTests {
    /// A boards folder, an owner's recipe folder and a "shipped" one, all in a temporary folder.
    struct Layout {
        let base: URL
        var boards: URL { base.appendingPathComponent("boards") }
        var owner: URL { base.appendingPathComponent("owner-recipes") }
        var shipped: URL { base.appendingPathComponent("shipped-recipes") }
        var layers: RecipeLayers { RecipeLayers([.init(.owner, owner), .init(.shipped, shipped)]) }

        init() throws {
            base = try RepositoryPaths.temporaryDirectory()
            for dir in [boards, owner, shipped] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
            try write(shipped, "profiles/base.toml", """
                [profile]
                description = "a test profile"

                [buildenv]
                packages = ["gcc"]
                source_date_epoch = 1700000000

                [os]
                users = ["owner"]

                [components.hello]
                builder = "hello/build.sh"
                inputs = ["hello/hello.c", "config.txt"]
                env = { A = "1", B = "2" }
                pack = { tree = "root", output = "x.cpio.xz", compression = "xz" }
                """)
            try write(shipped, "hello/build.sh", "echo shipped\n")
            try write(shipped, "hello/hello.c", "int main(void) { return 0; }\n")
            try write(shipped, "profiles/loop-a.toml", "[profile]\nextends = \"loop-b\"\n")
            try write(shipped, "profiles/loop-b.toml", "[profile]\nextends = \"loop-a\"\n")
        }

        func write(_ folder: URL, _ name: String, _ text: String) throws {
            let url = folder.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        /// A board `demo` with `body` after its [board] and [chip] tables, and its config.txt.
        func board(_ body: String, profile: String = "base") throws -> URL {
            let text = """
                [board]
                name = "demo"
                profile = "\(profile)"

                [chip]
                name = "W25Q128.V"
                size = "16MiB"

                """ + body
            try write(boards, "demo/board.toml", text)
            try write(boards, "demo/config.txt", "board's own\n")
            return boards.appendingPathComponent("demo/board.toml")
        }

        func load(_ file: URL) throws -> Board { try BoardLoader(layers: layers).load(file) }
        func remove() { try? FileManager.default.removeItem(at: base) }
    }

    @Test func aBoardTakesTheProfileAndOverridesOnlyWhatItSets() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let board = try layout.load(try layout.board("""
            [os]
            extra_packages = ["vim-tiny"]

            [components.hello]
            env = { B = "3" }
            pack = { compression = "gzip", output = "x.cpio.gz" }
            """))
        let hello = try #require(board.components.first)
        #expect(hello.builder == "hello/build.sh" && hello.inputs == ["hello/hello.c", "config.txt"])
        #expect(hello.env == ["A": "1", "B": "3"])
        #expect(hello.pack?.tree == "root" && hello.pack?.compression == .gzip && hello.pack?.output == "x.cpio.gz")
        #expect(board.buildEnvironment?.packages == ["gcc"] && board.os?.users == ["owner"])
        #expect(board.os?.packages == OSSpec.defaultPackages + ["vim-tiny"])
        #expect(board.profiles.map(\.name) == ["profiles/base.toml"] && board.profiles.first?.originName == "shipped")
        // Without the override the profile's values stand.
        let plain = try layout.load(try layout.board(""))
        #expect(plain.components.first?.env == ["A": "1", "B": "2"] && plain.os?.packages == OSSpec.defaultPackages)
    }

    @Test func theBoardsFolderWinsOverTheOwnersWhichWinsOverTheShipped() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let file = try layout.board("")
        var board = try layout.load(file)
        #expect(board.resolve("hello/build.sh")?.originName == "shipped")
        #expect(board.resolve("config.txt")?.originName == "board")
        try layout.write(layout.owner, "hello/build.sh", "echo owner\n")
        board = try layout.load(file)
        #expect(board.resolve("hello/build.sh")?.url.path == layout.owner.appendingPathComponent("hello/build.sh").path)
        try layout.write(layout.boards, "demo/hello/build.sh", "echo board\n")
        board = try layout.load(file)
        #expect(board.resolve("hello/build.sh")?.originName == "board")
        // An owner's profile of the same name replaces the shipped one.
        try layout.write(layout.owner, "profiles/base.toml", "[components.hello]\nbuilder = \"hello/build.sh\"\nenv = { OWN = \"1\" }\n")
        board = try layout.load(file)
        #expect(board.profiles.first?.originName == "owner" && board.components.first?.env == ["OWN": "1"])
        // Names never leave the folders they are looked up in.
        #expect(board.resolve("../demo/config.txt") == nil && board.resolve("/etc/passwd") == nil)
    }

    @Test func anErrorNamesTheProfileFileAndLineThatWroteTheKey() throws {
        let layout = try Layout()
        defer { layout.remove() }
        try layout.write(layout.shipped, "profiles/bad.toml", "[profile]\nextends = \"base\"\n\n[components.hello]\nbuilder = 5\n")
        let profile = layout.shipped.appendingPathComponent("profiles/bad.toml").path
        #expect(throws: BoardError.wrongType(file: profile, line: 5, key: "components.hello.builder", expected: "a string")) {
            try layout.load(try layout.board("", profile: "bad"))
        }
        // The same key fixed by the board: the board's value wins and loads.
        let fixed = try layout.load(try layout.board("[components.hello]\nbuilder = \"hello/build.sh\"\n", profile: "bad"))
        #expect(fixed.components.first?.builder == "hello/build.sh")
        // A key a profile may not set is refused in the profile with its line.
        try layout.write(layout.shipped, "profiles/named.toml", "[profile]\nextends = \"base\"\n\n[board]\nname = \"other\"\n")
        #expect(throws: BoardError.unknownKey(file: layout.shipped.appendingPathComponent("profiles/named.toml").path, line: 4, key: "board", suggestion: nil)) {
            try layout.load(try layout.board("", profile: "named"))
        }
        // A missing builder names the profile that asked for it.
        try layout.write(layout.shipped, "profiles/gone.toml", "[profile]\nextends = \"base\"\n\n[components.hello]\nbuilder = \"hello/gone.sh\"\n")
        #expect(throws: BoardError.missingFile(file: layout.shipped.appendingPathComponent("profiles/gone.toml").path, line: 5, key: "components.hello.builder", path: "hello/gone.sh")) {
            try layout.load(try layout.board("", profile: "gone"))
        }
    }

    @Test func anUnknownOrCircularProfileIsRefused() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let file = try layout.board("", profile: "bsae")
        do {
            _ = try layout.load(file)
            Issue.record("an unknown profile loaded")
        } catch let error as BoardError {
            guard case .unknownProfile(let path, let line, let name, _, let known) = error else { Issue.record("\(error)"); return }
            #expect(path == file.path && line == 3 && name == "bsae" && known == ["base", "loop-a", "loop-b"])
            #expect(error.fix?.contains("did you mean 'base'?") == true)
        }
        #expect(throws: BoardError.self) { try layout.load(try layout.board("", profile: "loop-a")) }
        #expect(throws: BoardError.self) { try layout.load(try layout.board("", profile: "../boards/demo")) }
        #expect(try layout.load(try layout.board("", profile: "base")).profiles.count == 1)
    }

    @Test func aSnapshotHoldsTheResolvedRecipesAndPlansTheSameSetWithoutAnyLayer() throws {
        let fixture = try FixtureBoard()
        defer { fixture.remove() }
        let layout = try Layout()
        defer { layout.remove() }
        // The fixture's builder moves into a shipped recipe named by a profile.
        try layout.write(layout.shipped, "profiles/fixture.toml", """
            [components.hello]
            builder = "hello/hello.sh"
            inputs = ["hello.c"]
            env = { GREETING = "hello" }
            """)
        try layout.write(layout.shipped, "hello/hello.sh", String(decoding: try Data(contentsOf: fixture.directory.appendingPathComponent("hello.sh")), as: UTF8.self))
        let text = FixtureBoard.boardToml
            .replacingOccurrences(of: "name = \"fixture\"\n", with: "name = \"fixture\"\nprofile = \"fixture\"\n")
            .replacingOccurrences(of: "[components.hello]\nbuilder = \"hello.sh\"\ninputs = [\"hello.c\"]\nenv = { GREETING = \"hello\" }\n", with: "")
        try fixture.write("board.toml", text)
        try FileManager.default.removeItem(at: fixture.directory.appendingPathComponent("hello.sh"))
        let catalog = BoardCatalog(directory: fixture.boards, layers: layout.layers)
        let board = try catalog.load("fixture")
        #expect(board.resolve("hello/hello.sh")?.originName == "shipped")
        let lock = try LockFile.load(for: board)
        let live = try BuildPlan.make(board: board, lock: lock, store: fixture.store)

        let snapshot = try BoardSnapshot.take(board, store: fixture.store)
        let folder = fixture.store.path(hash: snapshot.hash, name: snapshot.name).appendingPathComponent("fixture")
        for name in ["hello/hello.sh", "profiles/fixture.toml", "board.toml", "hello.c"] {
            #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path), "\(name) missing from the snapshot")
        }
        let frozen = try BoardLoader().load(folder.appendingPathComponent("board.toml"))
        #expect(try BuildPlan.make(board: frozen, lock: lock, store: fixture.store).setHash == live.setHash)
        // A later change of the shipped recipe changes the live board, never the snapshot.
        try layout.write(layout.shipped, "hello/hello.sh", "echo changed > /out/said.txt\n")
        #expect(try BuildPlan.make(board: try catalog.load("fixture"), lock: lock, store: fixture.store).setHash != live.setHash)
        #expect(try BuildPlan.make(board: frozen, lock: lock, store: fixture.store).setHash == live.setHash)
    }

    @Test func theProjectsBoardsHoldOnlyWhatIsTheirsAndNoLinks() throws {
        let fm = FileManager.default
        for name in try BoardCatalog(directory: RepositoryPaths.boards).names() {
            let folder = RepositoryPaths.boards.appendingPathComponent(name)
            let entries = (fm.enumerator(atPath: folder.path)?.allObjects as? [String]) ?? []
            for entry in entries {
                let attributes = try fm.attributesOfItem(atPath: folder.appendingPathComponent(entry).path)
                #expect(attributes[.type] as? FileAttributeType != .typeSymbolicLink, "boards/\(name)/\(entry) is a link")
            }
            // Builders and the unlocker live in recipes/, not in any board.
            #expect(!entries.contains { $0.hasSuffix(".c") || $0.hasPrefix("builders") || $0.hasPrefix("unlocker") }, "boards/\(name) holds shared recipes")
            let board = try BoardCatalog(directory: RepositoryPaths.boards).load(name)
            #expect(!board.profiles.isEmpty && board.components.allSatisfy { board.resolve($0.builder)?.originName == "shipped" })
        }
    }

    @Test func theOwnersRecipeFoldersComeFromTheEnvironmentTheConfigAndBesideTheBoards() throws {
        let layout = try Layout()
        defer { layout.remove() }
        let beside = layout.base.appendingPathComponent("recipes")
        try FileManager.default.createDirectory(at: beside, withIntermediateDirectories: true)
        let config = OwnerbootConfig(file: layout.base.appendingPathComponent("config.toml"), recipes: [layout.owner])
        let layers = RecipeLayers.locate(boardsDirectory: layout.boards, config: config,
                                         environment: ["OWNERBOOT_RECIPES": "/first:/second", "OWNERBOOT_SHIPPED_RECIPES": layout.shipped.path])
        #expect(layers.layers.map(\.directory.path) == ["/first", "/second", layout.owner.path, beside.path, layout.shipped.path])
        #expect(layers.layers.map(\.kind) == [.owner, .owner, .owner, .owner, .shipped])
        // The checkout's own recipes are found as the shipped layer, once.
        let checkout = RecipeLayers.locate(boardsDirectory: RepositoryPaths.boards, environment: [:])
        #expect(checkout.layers == [.init(.shipped, RepositoryPaths.root.appendingPathComponent("recipes"))])
        // config.toml's `recipes` takes a string or an array, relative to the file.
        try layout.write(layout.base, "config.toml", "recipes = [\"owner-recipes\", \"~/mine\"]\n")
        let read = try OwnerbootConfig.load(layout.base.appendingPathComponent("config.toml"), environment: ["HOME": "/home/o"])
        #expect(read.recipes.map(\.path) == [layout.owner.path, "/home/o/mine"])
        try layout.write(layout.base, "config.toml", "recipes = 3\n")
        #expect(throws: BoardError.self) { try OwnerbootConfig.load(layout.base.appendingPathComponent("config.toml")) }
    }
}
