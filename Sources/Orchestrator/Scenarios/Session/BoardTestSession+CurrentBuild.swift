import Foundation

extension BoardTestSession {
    /// `ownerboot test`'s session for `current` (the board's set as this checkout builds it):
    /// the releases the chosen scenarios (`scenarios`; all when empty) need and the flashers
    /// they write emulated chips with. An update, a promotion or a resealed disk gets the
    /// previous release (`PreviousRelease`: derived from the board, never an older generation
    /// of the store; `note` hears that it is being built), and an update or promotion of a
    /// normal/fallback board the ROM that keeps the previous release's protected half. Chips
    /// are flashed and promoted as `ownerboot flash` and `promote` would (`EmulatedChipFlasher`,
    /// backups under `workDirectory/backups`).
    public static func forCurrentBuild(
        _ current: CurrentBuild, board: Board, scenarios: [String] = [], workDirectory: URL, parallelism: Int = 2,
        note: (String) -> Void = { _ in }
    ) throws -> BoardTestSession {
        var artifacts = current.artifacts
        let chosen = try current.tests.scenarios(named: scenarios)
        if PreviousRelease.needed(scenarios: chosen) {
            // The older generation the update scenario starts from, as a release before this
            // one would have been: the same every time, whatever else the home holds.
            note("building the previous release of \(board.name) (the board with one comment line added to a builder; not recorded as a generation)")
            artifacts.previousROM = try PreviousRelease.build(board: board, currentGeneration: current.summary.generation, using: current.builder, workDirectory: workDirectory)
        }
        if chosen.contains(where: { $0.rom == .update || $0.rom == .promote }), let previous = artifacts.previousROM {
            artifacts.updateROM = try PreviousRelease.updateROM(board: board, previousROM: previous, currentROM: artifacts.rom, using: current.builder)
        }
        let flasher = EmulatedChipFlasher(board: board, backupDirectory: workDirectory.appendingPathComponent("backups"))
        var session = BoardTestSession(
            tests: current.tests, artifacts: artifacts, workDirectory: workDirectory,
            flash: { rom, chip, protected in _ = try flasher.flashBlocking(rom: rom, chipImage: chip, protected: protected) },
            parallelism: parallelism)
        session.promote = { rom, chip, protected in _ = try flasher.promoteBlocking(rom: rom, chipImage: chip, protected: protected) }
        return session
    }
}
