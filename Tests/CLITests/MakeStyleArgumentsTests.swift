import Testing
@testable import OwnerbootCLI

@Suite struct MakeStyleArgumentsTests {
    @Test func rewritesBoardEqualsName() {
        #expect(MakeStyleArguments.normalize(["build", "board=qemu-x86"]) == ["build", "--board", "qemu-x86"])
    }

    @Test func leavesOptionsAndPathsAlone() {
        #expect(MakeStyleArguments.normalize(["build", "--board", "x"]) == ["build", "--board", "x"])
        #expect(MakeStyleArguments.normalize(["inspect", "result/a=b.rom"]) == ["inspect", "result/a=b.rom"])
        #expect(MakeStyleArguments.normalize(["flash", "--programmer", "dummy:emulate=W25Q128FV"]) == ["flash", "--programmer", "dummy:emulate=W25Q128FV"])
        #expect(MakeStyleArguments.normalize(["x", "--", "board=y"]) == ["x", "--", "board=y"])
    }

    @Test func underscoresBecomeDashes() {
        #expect(MakeStyleArguments.normalize(["flash", "force_board=1"]) == ["flash", "--force-board", "1"])
    }

    @Test func bothSpellingsParseToTheSameBoard() throws {
        let make = try Ownerboot.parseAsRoot(MakeStyleArguments.normalize(["build", "board=qemu-x86"]))
        let long = try Ownerboot.parseAsRoot(MakeStyleArguments.normalize(["build", "--board", "qemu-x86"]))
        #expect((make as? BuildCommand)?.board == "qemu-x86")
        #expect((long as? BuildCommand)?.board == "qemu-x86")
    }

    @Test func unknownSubcommandIsAnError() {
        #expect(throws: (any Error).self) { try Ownerboot.parseAsRoot(["frobnicate"]) }
    }
}
