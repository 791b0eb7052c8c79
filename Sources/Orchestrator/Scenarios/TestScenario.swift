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
        /// The built ROM with one measured CBFS file changed (a byte of the payload's kernel
        /// command line): it still boots, but its PCRs differ from the built ROM's prediction.
        case tampered
    }

    public enum DiskSource: String, Sendable, Codable, CaseIterable {
        case encrypted, none
        /// The encrypted disk with one byte of root slot A's ext4 superblock changed before
        /// encryption (a verity OS; a byte every boot reads): the unlocker must refuse it.
        case tamperedRoot = "tampered-root"
        /// The encrypted disk with one byte of the OS's own kernel (a kexec OS) changed before
        /// encryption: the unlocker must refuse to hand over to it, naming verity.
        case tamperedKernel = "tampered-kernel"
        /// The encrypted disk with its state partition swapped for an attacker's (the same public
        /// LUKS UUID, another passphrase, no key bound to the root): never mounted.
        case foreignState = "foreign-state"
        /// The encrypted disk with its state as an older ownerboot made it: the passphrase only,
        /// no key bound to the root (the unlocker binds it on the first boot).
        case unboundState = "unbound-state"
        /// The encrypted disk plus a Clevis TPM2 token (enrolled with the real `clevis luks
        /// bind`) sealed by the scenario's TPM device to the built ROM's predicted PCR 2.
        case tpm2
        /// An update resealed in advance: the disk's first TPM2 token is sealed to the previous
        /// generation's predicted PCR 2 (what the device ran), the second to the new ROM's,
        /// added before the flash as `ownerboot disk --tpm2 --rom NEW` does; a third, a disk
        /// attacker's, claims the passphrase's key slot 0 with a made-up tag.
        case tpm2Resealed = "tpm2-resealed"
        /// The tampered-root disk (a byte of slot A's superblock changed) plus the Clevis TPM2
        /// token of `tpm2`: the token opens root and state, then verity refuses the root (a late
        /// failure after a key was obtained without a person).
        case tpm2TamperedRoot = "tpm2-tampered-root"
        /// The encrypted disk plus a Clevis TPM2 token sealed to the built ROM's predicted PCR 2
        /// on the normal path only (an armed normal boot): a fallback boot cannot open it.
        case tpm2Normal = "tpm2-normal"
        /// The encrypted disk plus a Clevis tang token (the real `clevis luks bind`) for the
        /// session's tang server at http://10.0.2.100.
        case tang
        /// The encrypted disk plus one Clevis sss token needing 2 of 2 pins: tang (as for
        /// `tang`) and TPM2 sealed by the scenario's TPM device to the built ROM's predicted
        /// PCR 2, as `ownerboot disk --tang URL --tpm2 --threshold 2` enrols it.
        case sss
        /// The encrypted disk (the passphrase prompt, no unlocking token) plus a TOTP secret
        /// sealed by the scenario's TPM device to each boot path's predicted PCR 2 of the built
        /// ROM, as `ownerboot totp enroll` seals it; `{totp}` is its code when a step runs.
        case totp
    }

    /// The scenario's tang server, reached over QEMU's user network (`restrict=on`, no host
    /// socket): `up` runs tangd per connection through a `guestfwd` command, `down` gives the
    /// machine the same network with nothing behind the address, `stalling` an attacker's
    /// server there that sends one byte every 2.5 s for ever.
    public enum Tang: String, Sendable, Codable, CaseIterable {
        case none, up, down, stalling
    }

    /// The machine's TPM: none, a new software TPM for this run, or the named emulated
    /// device's software TPM, whose state the session keeps from one scenario to the next
    /// (a key sealed while provisioning that device is there when it boots).
    public enum TPM: Sendable, Equatable, Codable {
        case none
        case fresh
        case device(String)

        /// `tests.toml` spelling: "none", "fresh", or a device name.
        public init(_ text: String) {
            switch text {
            case "none", "": self = .none
            case "fresh": self = .fresh
            default: self = .device(text)
            }
        }
    }

    public enum Step: Sendable, Equatable, Codable {
        case expect(pattern: String, timeout: Double?)
        case send(text: String)
        /// Types `text` and waits up to 10 s for `pattern`, again until it appears or the
        /// timeout passes (for a shell whose start the console cannot see exactly).
        case sendUntil(text: String, pattern: String, timeout: Double?)
        /// The console must not have shown `pattern` (a regular expression) so far.
        case absent(pattern: String)
        case exit(status: Int32, timeout: Double?)
    }

    public var name: String
    public var description: String
    public var rom: ROMSource
    public var disk: DiskSource
    public var timeout: Double
    public var steps: [Step]
    /// The guest may reset (and the test reboot it) without QEMU ending: CMOS survives, and
    /// so does the disk's snapshot overlay (state that must survive a reboot).
    public var reboots = false
    public var tpm: TPM = .none
    public var tang: Tang = .none
    /// Steps from this index on run only when the session boots the full OS (`ownerboot test
    /// --full-os`, OWNERBOOT_TEST_FULL_OS=1): they wait for systemd and power the OS off.
    /// Without it the scenario passes once the steps before it have (the unlocker handed the
    /// verified root to the OS) and QEMU is stopped; nil: every step always runs.
    public var fullOSFrom: Int? = nil

    /// The steps a session runs: all of them with the full OS, else those before `fullOSFrom`.
    public func steps(fullOS: Bool) -> [Step] {
        guard !fullOS, let from = fullOSFrom else { return steps }
        return Array(steps.prefix(from))
    }

    public init(name: String, description: String = "", rom: ROMSource = .built, disk: DiskSource = .encrypted, timeout: Double = 300, steps: [Step], reboots: Bool = false, tpm: TPM = .none) {
        self.reboots = reboots
        self.tpm = tpm
        self.name = name
        self.description = description
        self.rom = rom
        self.disk = disk
        self.timeout = timeout
        self.steps = steps
    }
}
