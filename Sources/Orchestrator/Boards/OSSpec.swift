import Foundation

/// The Debian system a board runs (`[os]` in board.toml): the packages asked for (their
/// closure is pinned in the lock beside the build environment's), and what makes it the
/// owner's: host name, users with their SSH *public* keys, overlay files. Nothing secret: host
/// keys and machine-id are made on the device at first boot, never in the image.
public struct OSSpec: Sendable, Codable, Equatable {
    public var suite: String
    public var mirror: String
    public var variant: String
    public var packages: [String]
    public var hostname: String
    public var users: [String]
    /// OpenSSH public key lines, installed as every user's `authorized_keys`.
    public var sshKeys: [String]
    /// A folder beside board.toml copied over the root last (relative path), if any.
    public var overlay: String?
    /// Which kernel runs the OS: the ROM's own, or (on boards whose flash is too small for a
    /// systemd-capable kernel) Debian's from the verified root, started by the unlocker with kexec.
    public var kernel: Kernel = .flash

    public enum Kernel: String, Sendable, Codable, Equatable, CaseIterable {
        /// The kernel in flash boots the OS (switch_root after the unlocker).
        case flash
        /// The unlocker in flash opens and verifies the root, then kexecs the kernel package the
        /// OS carries (`/etc/ownerboot/kexec` in the image; docs/notes/kexec.md).
        case kexec
    }

    /// What a board gets without `packages`: a system an owner can log in to over SSH.
    public static let defaultPackages = [
        "systemd", "systemd-sysv", "udev", "dbus", "openssh-server", "iproute2",
        "netbase", "less", "procps", "nano",
    ]

    /// The input name a component lists to get the pinned OS packages as a local repository
    /// (`/inputs/os-packages`, with `Packages` and `Release`).
    public static let packagesInput = "os-packages"

    /// What `ownerboot lock` must re-resolve when it changes (not the host name, users, keys).
    public var request: [String] { [suite, mirror, variant] + packages }

    /// The kernel package a kexec OS carries (Debian's `linux-image-*`, in `packages`).
    public var kernelPackage: String? { packages.first { $0.hasPrefix("linux-image-") } }

    static func isValidUserName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, name.count <= 32, first == "_" || ("a"..."z").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" }
    }

    static func isValidHostname(_ name: String) -> Bool {
        !name.isEmpty && name.count <= 63 && !name.hasPrefix("-")
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }

    /// One line, an OpenSSH public key type, base64 body: a private key or junk is refused.
    static func isPublicKeyLine(_ line: String) -> Bool {
        let parts = line.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count >= 2, !line.contains("\n"), !line.contains("PRIVATE KEY") else { return false }
        let types = ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com"]
        guard types.contains(String(parts[0])) else { return false }
        return parts[1].unicodeScalars.allSatisfy { ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) || "+/=".unicodeScalars.contains($0) }
    }
}
