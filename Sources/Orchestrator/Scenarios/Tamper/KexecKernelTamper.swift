import Foundation
import Support

/// Where, in a kexec OS's verity image, a byte of the OS's own kernel lies: the file
/// `/etc/ownerboot/kexec` names (read with e2fsprogs' debugfs, the image never mounted). The
/// `tampered-kernel` disk changes that byte before encryption; the unlocker must then refuse to
/// hand over, naming verity, because the root hash the ROM pins covers the kernel it kexecs.
public enum KexecKernelTamper {
    /// The unlocker reads the root's first 4 MiB through verity before anything else (its
    /// metadata check): a byte there would be refused as a damaged root, not as the kernel.
    static let metadataCheckBytes: Int64 = 4 << 20

    /// The image offset of a byte inside the kernel's data, past the metadata check.
    public static func offset(osImage: URL) throws -> Int64 {
        let runner = ProcessRunner(timeout: 60)
        let conf = try runner.run("debugfs", ["-R", "cat /etc/ownerboot/kexec", osImage.path])
        guard conf.status == 0, let line = conf.stdoutText.split(separator: "\n").first(where: { $0.hasPrefix("kernel=/") }) else {
            throw TamperError.noKexecKernel(path: osImage.path)
        }
        let kernel = String(line.dropFirst("kernel=".count))
        guard kernel.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || "/._-+".unicodeScalars.contains($0) }) else {
            throw TamperError.noKexecKernel(path: osImage.path)
        }
        let stats = try runner.run("debugfs", ["-R", "stats", osImage.path])
        guard let blockSize = stats.stdoutText.split(separator: "\n").first(where: { $0.hasPrefix("Block size:") })
            .flatMap({ Int64($0.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "") }), blockSize > 0 else {
            throw TamperError.noKexecKernel(path: osImage.path)
        }
        // The kernel's logical blocks from the 64th on (a bzImage is megabytes): the first whose
        // physical block lies past the metadata check. A byte in the middle of it.
        for logical in stride(from: 64, through: 4096, by: 64) {
            let map = try runner.run("debugfs", ["-R", "bmap \(kernel) \(logical)", osImage.path])
            guard map.status == 0, let physical = Int64(map.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)), physical > 0 else { break }
            let (start, overflow) = physical.multipliedReportingOverflow(by: blockSize)
            guard !overflow else { break }
            if start >= metadataCheckBytes { return start + blockSize / 2 }
        }
        throw TamperError.noKexecKernel(path: osImage.path)
    }
}
