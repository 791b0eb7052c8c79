import Foundation

/// How to start one emulated machine: the QEMU binary, machine type, firmware image given as
/// `-bios`, disks, memory, and optional extra devices. It only builds the argument vector;
/// `ConsoleSession` runs it. The serial console is always on standard input/output, so
/// several machines run side by side without ports or sockets to clash.
public struct QEMUMachine: Sendable, Equatable {
    public enum Accelerator: String, Sendable {
        /// Software emulation: slow but works everywhere (KVM hangs on some hosts).
        case tcg
        case kvm
    }

    public struct Drive: Sendable, Equatable {
        public var path: String
        public var interface: String
        public var format: String
        /// Writes go to a temporary overlay, so a test never changes its input image.
        public var snapshot: Bool

        public init(path: String, interface: String = "virtio", format: String = "raw", snapshot: Bool = true) {
            self.path = path
            self.interface = interface
            self.format = format
            self.snapshot = snapshot
        }
    }

    public var binary: String
    public var machineType: String
    public var accelerator: Accelerator
    public var memoryMiB: Int
    /// `-cpu` (nil: QEMU's default model).
    public var cpu: String? = nil
    public var bios: String?
    public var drives: [Drive]
    public var extraArguments: [String]
    /// A kernel, initramfs and command line booted directly instead of firmware.
    public var kernel: String? = nil
    public var initrd: String? = nil
    public var append: String? = nil
    /// A guest reset restarts the machine (CMOS kept, as on hardware) instead of ending QEMU:
    /// for firmware that falls back after resets and for tests that reboot on purpose.
    public var allowsReboot = false

    public init(
        binary: String = "qemu-system-x86_64", machineType: String = "pc", accelerator: Accelerator = .tcg,
        memoryMiB: Int = 512, bios: String? = nil, drives: [Drive] = [], extraArguments: [String] = []
    ) {
        self.binary = binary
        self.machineType = machineType
        self.accelerator = accelerator
        self.memoryMiB = memoryMiB
        self.bios = bios
        self.drives = drives
        self.extraArguments = extraArguments
    }

    /// The QEMU command line (without the binary).
    public var arguments: [String] {
        var args = [
            "-M", machineType, "-accel", accelerator.rawValue, "-m", "\(memoryMiB)",
            "-display", "none", "-monitor", "none", "-serial", "stdio",
            "-nodefaults",
        ]
        if !allowsReboot { args.insert("-no-reboot", at: args.count - 1) }
        if let cpu { args += ["-cpu", cpu] }
        if let bios { args += ["-bios", bios] }
        if let kernel { args += ["-kernel", kernel] }
        if let initrd { args += ["-initrd", initrd] }
        if let append { args += ["-append", append] }
        for drive in drives {
            var spec = "file=\(drive.path),if=\(drive.interface),format=\(drive.format)"
            if drive.snapshot { spec += ",snapshot=on" }
            args += ["-drive", spec]
        }
        return args + extraArguments
    }
}
