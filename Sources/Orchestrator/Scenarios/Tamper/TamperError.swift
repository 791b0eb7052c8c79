import Foundation
import Support

/// Why a scenario's tampered ROM could not be made.
public enum TamperError: UserFacingError, Equatable {
    case unreadable(path: String)
    case noNormalRegion(path: String)
    case noFile(name: String, path: String)
    case noTools(path: String)
    case cbfstool(status: Int32, output: String)
    case notATamperedSource(String)
    /// A tampered-kernel disk on an OS image without a kexec kernel (`/etc/ownerboot/kexec`).
    case noKexecKernel(path: String)

    public var message: String {
        switch self {
        case .unreadable(let path): return "cannot read the ROM \(path)"
        case .noNormalRegion(let path): return "\(path) has no FMAP region \(TamperedROM.normalRegion): it is not a normal/fallback ROM"
        case .noFile(let name, let path): return "\(path): the \(TamperedROM.normalRegion) region has no \(name)"
        case .noTools(let path): return "planting a payload in \(path) needs the firmware's cbfstool and the kernel and initramfs"
        case .cbfstool(let status, let output): return "cbfstool failed (exit status \(status)): \(output.suffix(400))"
        case .notATamperedSource(let source): return "rom = \"\(source)\" is not a tampered ROM"
        case .noKexecKernel(let path): return "\(path) names no OS kernel in /etc/ownerboot/kexec whose data debugfs can find past the first 4 MiB"
        }
    }

    public var fix: String? {
        switch self {
        case .noNormalRegion, .noFile: return "these scenarios need a board with a normal/fallback layout (recipes/machines/qemu-i440fx/fallback.fmd); remove them from tests.toml otherwise"
        case .noTools: return "rebuild the board: its firmware output carries cbfstool"
        case .noKexecKernel: return "use disk = \"tampered-kernel\" only on boards whose OS carries its own kernel ([os] kernel = \"kexec\")"
        default: return nil
        }
    }
}
