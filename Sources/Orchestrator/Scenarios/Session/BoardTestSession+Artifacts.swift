import Foundation

extension BoardTestSession {
    /// What the build produced that the scenarios need.
    public struct Artifacts: Sendable {
        public var rom: URL
        public var osImage: URL
        /// The previous generation's ROM, for the update scenario.
        public var previousROM: URL?
        /// `{board}`, `{generation}`, `{set_hash}` … for the console expectations.
        public var variables: [String: String]
        public var luksUUID: String?
        /// The kernel and unlocker the ROM carries, for `payload` scenarios.
        public var kernel: URL?
        public var initrd: URL?
        /// A verity OS: the GPT disk's slot B and state, and where slot A's hash tree starts
        /// (a tampered-root disk changes a byte of the data before it).
        public var verityLayout: DiskProvisioner.VerityLayout?
        public var hashOffset: Int64?
        /// coreboot's cbfstool from the firmware build (the tampered-ROM scenarios use it).
        public var cbfstool: URL?
        /// For a normal/fallback board: this generation's normal half over the previous ROM's
        /// protected half, what an update writes to a deployed chip (nil: use `rom`).
        public var updateROM: URL?

        public init(rom: URL, osImage: URL, previousROM: URL?, variables: [String: String], luksUUID: String?, kernel: URL? = nil, initrd: URL? = nil) {
            self.kernel = kernel
            self.initrd = initrd
            self.rom = rom
            self.osImage = osImage
            self.previousROM = previousROM
            self.variables = variables
            self.luksUUID = luksUUID
        }
    }
}
