import Foundation

/// The machine a board's scenarios run on, from `[qemu]` in `tests.toml`.
public struct QEMUSettings: Sendable, Equatable, Codable {
    public var machineType: String = "pc"
    public var memoryMiB: Int = 512
    public var accelerator: String = "tcg"
    /// QEMU's `-cpu` (nil: QEMU's default, qemu64 under TCG). "max" gives the guest what TCG can
    /// emulate (AES-NI, PCLMULQDQ, SSE4.2, AVX2 in QEMU 7.2), so the kernel's accelerated
    /// ciphers and hashes run instead of the generic C ones (dm-crypt, dm-verity).
    public var cpu: String? = nil
    /// The passphrase of the test disk (a throwaway disk made for tests only).
    public var testPassphrase: String = "ownerboot-test"
    /// More QEMU arguments (devices a board's tests need).
    public var extraArguments: [String] = []
    /// How the test disk is attached: "virtio", or "ide" (on q35, the ICH9 AHCI controller).
    public var diskInterface: String = "virtio"
    /// The kernel command line of `payload` scenarios, `{placeholders}` filled in.
    public var append: String = "console=ttyS0,115200 ownerboot.board={board} ownerboot.generation={generation} ownerboot.set={set_hash} ownerboot.root_uuid={root_uuid}"

    /// The TPM of scenarios that do not name one (`tpm = "fresh"`: a new swtpm per run).
    public var tpm: TestScenario.TPM = .none
    /// Which TPM the board has (`tpm_version`): swtpm emulates that family.
    public var tpmFamily: TPMFamily = .tpm20

    public init() {}
}
