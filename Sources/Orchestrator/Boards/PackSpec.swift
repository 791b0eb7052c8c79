import Boot
import Foundation
import Support

/// Packs a folder a builder staged into a deterministic initramfs with ownerboot's own cpio
/// writer: entries sorted, owner 0:0, every mtime SOURCE_DATE_EPOCH, hard links kept, device
/// nodes added from the board's list (a sandboxed builder cannot create them), compressed.
public struct PackSpec: Sendable, Codable, Equatable {
    /// The staged folder, relative to the output.
    public var tree: String
    /// The archive to write, relative to the output.
    public var output: String
    public var compression: Compression.Format
    /// "path c|b MAJOR MINOR", e.g. "dev/console c 5 1".
    public var devices: [String]

    /// How it enters the derivation's hash (as the `OWNERBOOT_PACK` variable). The
    /// compressor's settings are part of it: xz became BCJ x86 + preset 9e ("xz2"), and a
    /// store output packed the old way must not count as this one.
    public var canonical: String {
        let method = compression == .xz ? "xz2" : compression.rawValue
        return "tree=\(tree) output=\(output) compression=\(method) devices=\(devices.joined(separator: ";"))"
    }
}
