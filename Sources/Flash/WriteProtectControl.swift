import Foundation
import Logging

/// Reading and changing a chip's write protection on its own (`ownerboot wp`), outside a
/// flash. Every change is read back; a change that does not stick is an error.
public enum WriteProtectControl {
    public struct Report: Sendable, Codable, Equatable {
        public var chip: ProbedChip
        public var state: WriteProtectState
        public var description: String
        /// The ranges the chip can protect (nil when libflashrom cannot list them).
        public var availableRanges: [ByteRange]?
    }

    public static func status(programmer: ProgrammerString, chipName: String? = nil, chipNames: [String] = [], logger: Logger = Logger(label: "ownerboot.flash")) async throws -> Report {
        try await FlashSession.with(programmer: programmer, logger: logger) { session in
            let chip = try session.probe(expectingAnyOf: chipNames.isEmpty ? (chipName.map { [$0] } ?? []) : chipNames)
            let state = try session.readWriteProtect()
            return Report(chip: chip, state: state, description: state.modeDescription, availableRanges: try? session.availableWriteProtectRanges())
        }
    }

    /// Sets protection (`wanted`), or clears it when `wanted` is nil. Permanent protection
    /// is only set when `allowPermanent` says the owner asked for exactly that.
    public static func set(_ wanted: WriteProtectState?, programmer: ProgrammerString, chipName: String? = nil, chipNames: [String] = [], allowPermanent: Bool = false, logger: Logger = Logger(label: "ownerboot.flash")) async throws -> Report {
        try await FlashSession.with(programmer: programmer, logger: logger) { session in
            let chip = try session.probe(expectingAnyOf: chipNames.isEmpty ? (chipName.map { [$0] } ?? []) : chipNames)
            let target = wanted ?? WriteProtectState(range: ByteRange(start: 0, length: 0), mode: .disabled)
            if target.mode == .permanent && !allowPermanent { throw FlashError.permanentProtectionRefused(range: target.range) }
            if let wanted, wanted.isProtecting {
                let available = (try? session.availableWriteProtectRanges()) ?? []
                if !available.isEmpty && !available.contains(wanted.range) {
                    throw FlashError.writeProtectFailed(operation: "enable \(wanted.range)", result: .rangeUnsupported)
                }
            }
            let current = try session.readWriteProtect()
            if current != target { try session.writeWriteProtect(target) }
            let after = try session.readWriteProtect()
            guard after == target else { throw FlashError.writeProtectNotApplied(wanted: target, actual: after) }
            return Report(chip: chip, state: after, description: after.modeDescription, availableRanges: nil)
        }
    }
}
