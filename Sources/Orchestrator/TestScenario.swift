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

    public init(name: String, description: String = "", rom: ROMSource = .built, disk: DiskSource = .encrypted, timeout: Double = 300, steps: [Step]) {
        self.name = name
        self.description = description
        self.rom = rom
        self.disk = disk
        self.timeout = timeout
        self.steps = steps
    }
}

/// The machine a board's scenarios run on, from `[qemu]` in `tests.toml`.
public struct QEMUSettings: Sendable, Equatable, Codable {
    public var machineType: String = "pc"
    public var memoryMiB: Int = 512
    public var accelerator: String = "tcg"
    /// The passphrase of the test disk (a throwaway disk made for tests only).
    public var testPassphrase: String = "ownerboot-test"
    /// More QEMU arguments (devices a board's tests need).
    public var extraArguments: [String] = []
    /// How the test disk is attached: "virtio", or "ide" (on q35, the ICH9 AHCI controller).
    public var diskInterface: String = "virtio"
    /// The kernel command line of `payload` scenarios, `{placeholders}` filled in.
    public var append: String = "console=ttyS0,115200 ownerboot.board={board} ownerboot.generation={generation} ownerboot.set={set_hash} ownerboot.root_uuid={root_uuid}"

    public init() {}
}

/// A board's test file: the machine and its scenarios.
public struct BoardTests: Sendable, Equatable {
    public var qemu: QEMUSettings
    public var scenarios: [TestScenario]

    public init(qemu: QEMUSettings, scenarios: [TestScenario]) {
        self.qemu = qemu
        self.scenarios = scenarios
    }
}
