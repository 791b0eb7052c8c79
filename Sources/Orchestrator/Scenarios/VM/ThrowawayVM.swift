import Boot
import Foundation
import Support

/// `ownerboot vm`: the board's latest build as a plain QEMU machine to try by hand — its ROM
/// as firmware and a throwaway disk made from its OS image, which unlocks with no typing: every
/// LUKS2 container of the disk carries a Clevis TPM2 token sealed to the ROM's predicted PCR 2
/// by the machine's own software TPM (the same path as the tpm-unattended scenario). The disk's
/// passphrase is random, kept only in the work directory (0600) for the fallback prompt, and
/// the disk, TPM state and passphrase go with that directory. The network is QEMU's user
/// network with `restrict=on` (nothing leaves QEMU) and one forward: 127.0.0.1:sshPort → 22.
/// A board whose firmware QEMU cannot run (x230, hp-abm: every scenario boots the ROM's
/// payload) starts the ROM's kernel and unlocker with the ROM's command line instead, as its
/// scenarios do; with no TPM 2.0 behind measured firmware there is nothing to seal to, so the
/// disk asks for its passphrase (in the work directory).
public struct ThrowawayVM: Sendable {
    public var tests: BoardTests
    public var artifacts: BoardTestSession.Artifacts
    public var workDirectory: URL
    public var sshPort: Int

    public init(tests: BoardTests, artifacts: BoardTestSession.Artifacts, workDirectory: URL, sshPort: Int = 2222) {
        self.tests = tests
        self.artifacts = artifacts
        self.workDirectory = workDirectory
        self.sshPort = sshPort
    }

    /// Where the fallback passphrase is kept.
    public var passphraseFile: URL { workDirectory.appendingPathComponent("passphrase") }

    /// The board's firmware does not run in QEMU: boot its payload (kernel, unlocker, cmdline).
    public var bootsPayload: Bool { !tests.scenarios.isEmpty && tests.scenarios.allSatisfy { $0.rom == .payload } }

    /// The disk unlocks by itself: TPM2 tokens sealed to the ROM's predicted PCR 2, which only
    /// the board's own firmware, measuring into a TPM 2.0, reproduces.
    public var unlocksByTPM: Bool { !bootsPayload && tests.qemu.tpmFamily == .tpm20 }

    /// Makes the disk and enrols its TPM2 tokens; returns the machine to start (the TPM is
    /// started by `start`). `progress` hears the disk's encryption.
    public func prepare(progress: ProgressSink? = nil) throws -> QEMUMachine {
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        var random = SystemRandomNumberGenerator()
        let passphrase = (0..<24).map { _ in String(UInt8.random(in: 0...255, using: &random), radix: 16) }.joined()
        FileManager.default.createFile(atPath: passphraseFile.path, contents: Data(passphrase.utf8), attributes: [.posixPermissions: 0o600])
        let disk = workDirectory.appendingPathComponent("disk.img")
        var request = DiskProvisioner.Request(osImage: artifacts.osImage, passphraseFile: passphraseFile, output: disk, luksUUID: artifacts.luksUUID)
        request.verityLayout = artifacts.verityLayout
        // A throwaway disk: a small Argon2 cost keeps the unlock quick under emulation.
        request.pbkdfIterations = 4
        request.pbkdfMemoryKiB = 32768
        try DiskProvisioner().provision(request, progress: progress)
        if unlocksByTPM {
            let tokens = try ClevisEnrolment.tpm2Tokens(image: [UInt8](try Data(contentsOf: artifacts.rom)), romPath: artifacts.rom.path, paths: [.fallback], tagged: false)
            let sealing = try SoftwareTPM(stateDirectory: tpmDirectory, loopback: true)
            defer { sealing.close() }
            try ClevisEnrolment(tokens: tokens).bind(disk: disk, passphrase: { Data(passphrase.utf8) }, tcti: sealing.tcti ?? "")
        }
        return try machine(disk: disk)
    }

    /// The machine for `disk`: the ROM as firmware, or for a payload board its kernel and
    /// unlocker with the ROM's command line; the user network with its one SSH forward.
    func machine(disk: URL) throws -> QEMUMachine {
        var settings = tests.qemu
        settings.extraArguments = []
        let runner = ScenarioRunner(settings: settings, variables: artifacts.variables, transcriptDirectory: workDirectory)
        var payload: (kernel: URL, initrd: URL)?
        if bootsPayload {
            guard let kernel = artifacts.kernel, let initrd = artifacts.initrd else { throw TestSessionError.noPayload(scenario: "vm") }
            payload = (kernel, initrd)
        }
        var machine = runner.machine(rom: artifacts.rom, disk: disk, payload: payload)
        machine.allowsReboot = true
        machine.extraArguments += ["-netdev", "user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:\(sshPort)-:22", "-device", "virtio-net-pci,netdev=net0"]
        return machine
    }

    var tpmDirectory: URL { workDirectory.appendingPathComponent("tpm") }

    /// The machine's TPM, holding the sealing key: start it right before QEMU.
    public func startTPM() throws -> SoftwareTPM { try SoftwareTPM(stateDirectory: tpmDirectory, family: tests.qemu.tpmFamily) }
}
