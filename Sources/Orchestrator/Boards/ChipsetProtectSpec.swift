import Foundation

/// A range the board's own firmware makes read-only through the chipset's SPI controller
/// (`[chipset_protect]`): on the X230, coreboot's ramstage programs the PCH protected range
/// PR0 and sets FLOCKDN before the payload. It binds every write through the chipset (the
/// running OS, flashrom's `internal` programmer) until the next reset, and nothing else: an
/// external programmer on the chip still writes all of it. The loader checks the firmware's
/// Kconfig fragment carries `requires`, so the board file cannot claim a lock the ROM lacks.
public struct ChipsetProtectSpec: Sendable, Codable, Equatable {
    public enum Mechanism: String, Sendable, Codable, CaseIterable {
        /// Intel PCH protected range registers (PR0-PR4) locked by HSFS.FLOCKDN.
        case pchProtectedRange = "pch-pr0-flockdn"
    }
    public var mechanism: Mechanism
    /// In flash addresses (all chips end to end, as the chipset presents them).
    public var start: Int
    public var length: Int
    /// The Kconfig fragment beside board.toml that turns it on (e.g. coreboot.config).
    public var config: String
    /// Lines that fragment must hold, e.g. `CONFIG_BOOTMEDIA_LOCK_CONTROLLER=y`.
    public var requires: [String]

    public init(mechanism: Mechanism, start: Int, length: Int, config: String, requires: [String]) {
        self.mechanism = mechanism
        self.start = start
        self.length = length
        self.config = config
        self.requires = requires
    }

    /// The `requires` lines `fragment` (a Kconfig fragment's text) lacks; `# … is not set`
    /// lines and comments never satisfy one.
    public func missing(in fragment: String) -> [String] {
        let lines = Set(fragment.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.hasPrefix("#") })
        return requires.filter { !lines.contains($0) }
    }
}
