/// What the chip on the other end of the programmer must be, and how its write protection
/// is to be treated: the board-agnostic description a flash is checked against. The
/// Orchestrator maps a board to this; tests and `ownerboot flash` without a board build it
/// directly.
public struct ExpectedTarget: Sendable, Codable, Equatable {
    /// flashrom's chip name (e.g. "W25Q128.V"); nil probes for any chip.
    public var chipName: String?
    /// Further flashrom names the chip may have (boards ship with one of several parts, and
    /// flashrom keeps chips that share an ID apart only by name). Probed in order after `chipName`.
    public var alternativeChipNames: [String] = []
    /// The chip's size in bytes; nil accepts whatever the probe reports.
    public var chipSize: Int?
    /// The unit the plan works in. libflashrom 1.3 does not expose the chip's erasers, so
    /// this is the board's (or the common SPI NOR) smallest erase block: 4 KiB.
    public var eraseBlockSize: Int
    /// The board's layout regions (FMAP areas); nil splits the chip at the protected range.
    public var regions: [FlashRegion]?
    public var writeProtect: WriteProtectPolicy
    /// Set when the chip holds an Intel flash descriptor: the layout then comes from it.
    public var descriptor: DescriptorPolicy? = nil

    /// Every name to probe for, in order (empty: any chip).
    public var chipNames: [String] { (chipName.map { [$0] } ?? []) + alternativeChipNames }

    public init(chipName: String? = nil, chipSize: Int? = nil, eraseBlockSize: Int = 4096, regions: [FlashRegion]? = nil, writeProtect: WriteProtectPolicy = WriteProtectPolicy()) {
        self.chipName = chipName
        self.chipSize = chipSize
        self.eraseBlockSize = eraseBlockSize
        self.regions = regions
        self.writeProtect = writeProtect
    }
}

/// The owner's write-protect policy: what to do when an image changes protected blocks, and
/// which protection to leave on the chip after a successful flash.
public struct WriteProtectPolicy: Sendable, Codable, Equatable {
    /// Refuse, or write only the unprotected regions, when changed blocks are protected.
    public var onProtected: FlashPlan.Policy
    /// The protection to apply (and confirm) after the flash; nil leaves the chip's as it is.
    public var apply: WriteProtectState?
    /// The image must be written whole, protected range included (a new fallback half):
    /// refuse before reading or writing anything while the chip protects any range, instead
    /// of planning around it. nil (old records) is false.
    public var requireUnprotected: Bool?

    public init(onProtected: FlashPlan.Policy = .refuse, apply: WriteProtectState? = nil) {
        self.onProtected = onProtected
        self.apply = apply
    }
}

/// Checks that an image is a ROM for the target (the Orchestrator plugs in the ROM
/// manifest check). Throw `FlashError.foreignImage` — or any `UserFacingError` — to refuse.
public protocol ImageIdentityCheck: Sendable {
    func check(image: [UInt8], path: String) throws
}
