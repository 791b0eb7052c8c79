import Foundation

/// One emulated-board test a board declares in `boards/<name>/tests.toml`: which ROM and
/// disk to boot, and the console steps a person would take. Values in `{braces}` are filled
/// in when it runs (`{passphrase}`, `{generation}`, `{set_hash}`, `{board}`).
public struct TestScenario: Sendable, Equatable, Codable {
    /// What is booted as `-bios`.
    public enum ROMSource: String, Sendable, Codable, CaseIterable {
        /// The ROM the build produced.
        case built
        /// The built ROM written by `ownerboot flash` into an emulated chip; the chip's image
        /// file is what boots, so the test boots what was flashed.
        case flashed
        /// An older generation on the emulated chip replaced by the current one, then booted.
        case update
        /// The update, then this generation promoted to the protected half as `ownerboot
        /// promote` does it: refused with the chip protected (the chip unchanged), written whole
        /// with the protection lifted. Power-on then boots this generation from the fallback.
        case promote
        /// No firmware: the board's kernel and unlocker booted directly (`-kernel`, `-initrd`),
        /// as its coreboot payload loader would hand over. For real boards, whose firmware QEMU
        /// cannot run: it proves their kernel, unlocker and OS on an emulated disk controller.
        case payload
        /// The built ROM with its writable half's CBFS region (FMAP `NORMAL`) erased to 0xFF:
        /// a failed or interrupted update. A normal boot must fall back in the same boot.
        case normalErased = "normal-erased"
        /// The built ROM with the normal set's payload damaged: the normal boot resets until the
        /// CMOS reboot counter runs out and the fallback boots (scenario needs `reboots`).
        case normalPayloadCorrupted = "normal-payload-corrupted"
        /// The built ROM with an attacker's files planted in the writable region: a bootable
        /// `fallback/payload` (its command line says `ownerboot.half=planted`) and a
        /// `coreboot-stages` override. None of them may run while CMOS selects the fallback.
        case planted
    }

    public enum DiskSource: String, Sendable, Codable, CaseIterable {
        case encrypted, none
    }

    public enum Step: Sendable, Equatable, Codable {
        case expect(pattern: String, timeout: Double?)
        case send(text: String)
        case exit(status: Int32, timeout: Double?)
    }

    public var name: String
    public var description: String
    public var rom: ROMSource
    public var disk: DiskSource
    public var timeout: Double
    public var steps: [Step]
    /// The guest may reset (and the test reboot it) without QEMU ending: CMOS survives.
    public var reboots = false

    public init(name: String, description: String = "", rom: ROMSource = .built, disk: DiskSource = .encrypted, timeout: Double = 300, steps: [Step], reboots: Bool = false) {
        self.reboots = reboots
        self.name = name
        self.description = description
        self.rom = rom
        self.disk = disk
        self.timeout = timeout
        self.steps = steps
    }
}
