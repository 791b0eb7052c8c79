import Foundation

extension BoardTestSession {
    /// Which byte of slot A a tampered test disk changes (a verity OS).
    enum Tamper: String {
        /// A byte every boot reads: the ext4 superblock's volume name (offset 1024 + 0x78),
        /// which mount would accept changed; only dm-verity notices.
        case superblock = "tampered"
        /// A byte of the OS's own kernel, which the unlocker reads only to kexec it.
        case kexecKernel = "tampered-kernel"
        /// Not a byte: the state partition swapped for an attacker's (another passphrase, no key
        /// bound to the root).
        case foreignState = "foreign-state"
        /// Not a byte: the state as an older ownerboot made it (the passphrase only).
        case unboundState = "unbound-state"
    }

    /// The throwaway disk all scenarios share (QEMU opens it with snapshot=on); with `tamper`,
    /// one byte of slot A inverted before encryption (needs a verity OS).
    func makeTestDisk(tamper: Tamper? = nil) throws -> URL {
        let passphrase = workDirectory.appendingPathComponent("test-passphrase" + (tamper.map { "-\($0.rawValue)" } ?? ""))
        try Data(tests.qemu.testPassphrase.utf8).write(to: passphrase, options: .atomic)
        defer { try? FileManager.default.removeItem(at: passphrase) }
        let disk = workDirectory.appendingPathComponent(tamper.map { "\($0.rawValue)-disk.img" } ?? "test-disk.img")
        var request = DiskProvisioner.Request(osImage: artifacts.osImage, passphraseFile: passphrase, output: disk, luksUUID: artifacts.luksUUID)
        request.verityLayout = artifacts.verityLayout
        if let tamper {
            guard let offset = artifacts.hashOffset, artifacts.verityLayout != nil, offset > 4096 else { throw TestSessionError.noVerityOS }
            switch tamper {
            case .foreignState: request.testState = .foreign
            case .unboundState: request.testState = .unbound
            case .superblock: request.tamperOffset = 1024 + 0x78
            case .kexecKernel:
                let byte = try KexecKernelTamper.offset(osImage: artifacts.osImage)
                guard byte < offset else { throw TamperError.noKexecKernel(path: artifacts.osImage.path) }
                request.tamperOffset = byte
            }
        }
        request.pbkdfIterations = 4
        request.pbkdfMemoryKiB = 32768
        try DiskProvisioner().provision(request)
        return disk
    }
}
