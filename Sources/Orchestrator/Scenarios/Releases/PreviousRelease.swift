import Boot
import Foundation
import Support

/// The older generation an `update` scenario flashes first: the
/// current board with one comment line appended to a builder script (so only that component
/// and the ROM are rebuilt, in seconds), numbered one below the current generation. Derived
/// deterministically: the same board always gives the same previous release. It is built but
/// never recorded as a generation, so `ownerboot generations`, `fleet list` and the next
/// build's numbering never see it; `store gc` may remove it and the next test rebuilds it.
public enum PreviousRelease {
    /// The line appended to the chosen builder: the only difference from the current board.
    public static let marker = "# ownerboot test: the previous release of this board (this line is its only difference)"

    /// Whether the scenarios chosen need an older generation: an update or a promotion
    /// flashes it first; a resealed disk has a token sealed to its PCRs. It is always this
    /// derived release, never whatever older generation the home still holds: that one may
    /// come from a checkout with another disk layout or unlocker (a CI home that kept the
    /// busybox-era generations failed the update scenario on the GPT disk), and a test must
    /// not depend on a home's history.
    public static func needed(scenarios: [TestScenario]) -> Bool {
        scenarios.contains(where: { $0.rom == .update || $0.rom == .promote || $0.disk == .tpm2Resealed })
    }

    static func hasNormalRegion(_ rom: URL) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: rom.path) else { return false }
        defer { try? handle.close() }
        let bytes = Array(handle.readDataToEndOfFile())
        return FMAP.locate(in: bytes)?.map.area(named: TamperedROM.normalRegion) != nil
    }

    /// For a normal/fallback board: `board`'s ROM rebuilt to keep `previousROM`'s protected
    /// half (what `[write_protect] fallback_generation` does for a deployed board), so the
    /// update scenario writes the normal region only. nil for a single-CBFS board. Not
    /// recorded as a generation: only the ROM derivation runs.
    public static func updateROM(board: Board, previousROM: URL, currentROM: URL, using builder: Builder) throws -> URL? {
        guard hasNormalRegion(currentROM), hasNormalRegion(previousROM),
              let fallback = FallbackROM(storeDirectory: previousROM.deletingLastPathComponent()) else { return nil }
        let plan = try BuildPlan.make(board: board, lock: try LockFile.load(for: board), store: builder.store, fallback: fallback)
        return try unrecordedROM(of: plan, board: board.name, using: builder)
    }

    /// The component whose builder gets the marker: one that is not the ROM and that no other
    /// component reads (the busybox OS image of x230 and hp-abm, which only the disk carries),
    /// so the firmware, kernel and unlocker stay cache hits; when the ROM reads every other
    /// component (qemu-x86 pins its verity OS), the ROM's own builder, whose recipe is part of
    /// the set hash: only the ROM is rebuilt; otherwise the last non-ROM one.
    public static func component(of board: Board) -> ComponentSpec? {
        let others = board.components.filter { $0.name != BuildPlan.romComponent }
        let read = Set(board.components.flatMap(\.inputs))
        return others.last { !read.contains($0.name) } ?? board.components.first { $0.name == BuildPlan.romComponent } ?? others.last ?? board.components.last
    }

    /// Copies the board folder and its recipes to `directory/<name>` (links resolved) and appends the marker
    /// to the chosen component's builder; returns the derived board.
    public static func derive(from board: Board, into directory: URL) throws -> Board {
        guard let component = component(of: board) else { throw BuildError.missingInput(derivation: board.name, input: "a component") }
        let copy = directory.appendingPathComponent(board.name)
        if FileManager.default.fileExists(atPath: copy.path) { try FileManager.default.removeItem(at: copy) }
        // The board with its resolved recipes, so the marked builder is a copy, never the
        // shipped recipe every board shares.
        try BoardRecipeFiles.materialize(board, at: copy)
        let builder = copy.appendingPathComponent(component.builder)
        var script = try Data(contentsOf: builder)
        if script.last != UInt8(ascii: "\n") { script.append(UInt8(ascii: "\n")) }
        script.append(Data((marker + "\n").utf8))
        try script.write(to: builder)
        return try BoardLoader().load(copy.appendingPathComponent("board.toml"))
    }

    /// Derives and builds the previous release of `board` (whose current generation is
    /// `currentGeneration`) in `workDirectory` with `builder` (its store, progress and
    /// sandbox settings; the set is never recorded as a generation), and returns its ROM.
    public static func build(board: Board, currentGeneration: Int, using builder: Builder, workDirectory: URL) throws -> URL {
        let boards = workDirectory.appendingPathComponent("previous-release")
        defer { try? FileManager.default.removeItem(at: boards) }
        let derived = try derive(from: board, into: boards)
        let plan = try BuildPlan.make(board: derived, lock: try LockFile.load(for: derived), store: builder.store, generation: max(0, currentGeneration - 1))
        return try unrecordedROM(of: plan, board: board.name, using: builder)
    }

    /// Builds `plan` without recording a generation and returns its ROM file.
    static func unrecordedROM(of plan: BuildPlan, board: String, using builder: Builder) throws -> URL {
        var builder = builder
        builder.recordsGeneration = false
        let summary = try builder.build(plan)
        guard let output = summary.outputs[BuildPlan.romComponent] else {
            throw ArtifactError.noComponent(board: board, component: BuildPlan.romComponent, generation: plan.generation)
        }
        return URL(fileURLWithPath: output).appendingPathComponent("\(board).rom")
    }
}
