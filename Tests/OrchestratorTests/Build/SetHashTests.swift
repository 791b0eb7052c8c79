import Foundation
import Testing
@testable import Orchestrator

/// The set hash names everything a generation is made of. The ROM carries it, so the ROM's
/// derivation cannot be in it, but the ROM's own recipe (builder, environment) must be: a
/// changed kernel command line is another set, never the same generation with other bytes.
@Suite struct SetHashTests {
    func fixture(romEnv: String, romBuilder: String = "printf '%s' \"$OWNERBOOT_MANIFEST\" > /out/fixture.rom\n") throws -> FixtureBoard {
        let fixture = try FixtureBoard()
        try fixture.write("board.toml", FixtureBoard.boardToml + "\n\n[components.rom]\nbuilder = \"rom.sh\"\ninputs = [\"bundle\"]\nenv = { CMDLINE = \"\(romEnv)\" }\n")
        try fixture.write("rom.sh", romBuilder)
        return fixture
    }

    @Test func theROMsRecipeIsPartOfTheSetWhileTheOtherComponentsStayTheSame() throws {
        let base = try fixture(romEnv: "console=ttyS0")
        defer { base.remove() }
        let same = try fixture(romEnv: "console=ttyS0")
        defer { same.remove() }
        let otherCmdline = try fixture(romEnv: "console=ttyS0 no_timer_check")
        defer { otherCmdline.remove() }
        let otherBuilder = try fixture(romEnv: "console=ttyS0", romBuilder: "printf '%s\\n' \"$OWNERBOOT_MANIFEST\" > /out/fixture.rom\n")
        defer { otherBuilder.remove() }

        let plan = try base.plan()
        // The same recipe in another folder: the same set (no host path in it).
        #expect(try same.plan().setHash == plan.setHash)
        for changed in [otherCmdline, otherBuilder] {
            let other = try changed.plan()
            #expect(other.setHash != plan.setHash)
            // Only the ROM differs; every other component is the same derivation.
            #expect(other.componentHashes.filter { $0.key != "rom" } == plan.componentHashes.filter { $0.key != "rom" })
        }
    }
}
