import ArgumentParser
import Flash
import Foundation
import Support

/// `ownerboot wp status|enable|disable`.
struct WriteProtectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "wp", abstract: "Show, enable or disable a chip's write protection.")

    enum Action: String, ExpressibleByArgument, CaseIterable { case status, enable, disable }
    enum Mode: String, ExpressibleByArgument, CaseIterable { case hardware, software, permanent }

    @OptionGroup var global: GlobalOptions
    @Argument(help: "status, enable or disable.") var action: Action
    @OptionGroup var boardOption: BoardOption<BoardHelp.ChipAndRange>
    var board: String? { boardOption.board }
    @OptionGroup var programmerOption: ProgrammerOption<ProgrammerHelp.Default>
    var programmer: String? { programmerOption.programmer }
    @OptionGroup var chipOption: ChipOption<ChipHelp.Probe>
    var chip: String? { chipOption.chip }
    @Option(help: "START,LENGTH to protect (hex or decimal), e.g. 0xC00000,0x400000.") var range: String?
    @Option(help: "hardware (WP# pin locks it), software, or permanent.") var mode: Mode?
    @Flag(help: "Allow --mode permanent (one-time; can never be undone).") var allowPermanent = false
    @Flag(help: "Print JSON.") var json = false

    func run() async throws {
        global.bootstrapLogging()
        let board = try boardOption.loadIfGiven(global: global)
        let programmer = try FlashTargetAdapter.programmer(programmer, board: board)
        let chipNames = try FlashTargetAdapter.chipNames(chip, board: board)
        let report: WriteProtectControl.Report
        switch action {
        case .status:
            report = try await WriteProtectControl.status(programmer: programmer, chipNames: chipNames)
        case .disable:
            report = try await WriteProtectControl.set(nil, programmer: programmer, chipNames: chipNames)
        case .enable:
            let boardState = board?.writeProtect.flatMap(FlashTargetAdapter.state)
            guard let protectedRange = try range.map(Self.parseRange) ?? boardState?.range else { throw FlashCLIError.noRange }
            let flashromMode: WriteProtectMode = switch mode {
            case .hardware: .hardware
            case .software: .disabled
            case .permanent: .permanent
            case nil: boardState?.mode ?? .hardware
            }
            report = try await WriteProtectControl.set(
                WriteProtectState(range: protectedRange, mode: flashromMode), programmer: programmer, chipNames: chipNames, allowPermanent: allowPermanent)
        }
        if json { return try JSONOutput.print(report) }
        print("\(report.chip.name): \(report.state.isProtecting ? "\(report.state.range) protected" : "not protected"); mode \(report.state.mode.rawValue): \(report.description)")
        if let ranges = report.availableRanges, global.verbose > 0 {
            print("available ranges:")
            for r in ranges { print("  \(r)") }
        }
    }

    static func parseRange(_ text: String) throws -> ByteRange {
        let parts = text.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, let start = ByteSize.parse(parts[0]), let length = ByteSize.parse(parts[1]) else {
            throw FlashCLIError.badRange(text)
        }
        return ByteRange(start: start, length: length)
    }
}
