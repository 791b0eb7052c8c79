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
        /// No firmware: the board's kernel and unlocker booted directly (`-kernel`, `-initrd`),
        /// as its coreboot payload loader would hand over. For real boards, whose firmware QEMU
        /// cannot run: it proves their kernel, unlocker and OS on an emulated disk controller.
        case payload
    }

    public enum DiskSource: String, Sendable, Codable, CaseIterable {
        case encrypted, none
        /// The encrypted disk with one byte of root slot A's image changed before encryption
        /// (a verity OS): the unlocker must refuse it.
        case tamperedRoot = "tampered-root"
    }

    public enum Step: Sendable, Equatable, Codable {
        case expect(pattern: String, timeout: Double?)
        case send(text: String)
        /// Types `text` and waits up to 10 s for `pattern`, again until it appears or the
        /// timeout passes (for a shell whose start the console cannot see exactly).
        case sendUntil(text: String, pattern: String, timeout: Double?)
        case exit(status: Int32, timeout: Double?)
    }

    public var name: String
    public var description: String
    public var rom: ROMSource
    public var disk: DiskSource
    public var timeout: Double
    public var steps: [Step]
    /// The guest may reboot (QEMU keeps running, the disk's snapshot overlay with it): for
    /// state that must survive a reboot. Otherwise a reboot ends QEMU.
    public var reboots: Bool = false

    public init(name: String, description: String = "", rom: ROMSource = .built, disk: DiskSource = .encrypted, timeout: Double = 300, steps: [Step], reboots: Bool = false) {
        self.name = name
        self.description = description
        self.rom = rom
        self.disk = disk
        self.timeout = timeout
        self.steps = steps
        self.reboots = reboots
    }
}
