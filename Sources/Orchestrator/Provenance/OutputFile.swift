import Foundation

/// One regular file of a component output (or of an image inside it), with the checksums an
/// SBOM needs. Symbolic links, directories and device nodes carry no content and are left out.
public struct OutputFile: Sendable, Equatable, Codable {
    /// Path inside the output, e.g. `rom/qemu-x86.rom` relative to the output folder, or
    /// `initramfs.cpio.gz!/bin/busybox` for a member of an image.
    public var path: String
    public var size: Int
    public var sha1: String
    public var sha256: String
    /// md5 is kept only to find the file in dpkg's `*.md5sums` lists; it proves nothing.
    public var md5: String
}
