import Foundation
import Support
@testable import Orchestrator

/// A Debian archive in miniature for tests: a `Packages` index of given .debs (xz), an
/// `InRelease` listing it, clearsigned by a throwaway gpg key (made once per test process),
/// laid out as a mirror (`dists/<suite>/InRelease`, the index by path and by hash), with the
/// keyring that verifies it. `other` signs with a key no keyring here holds.
struct TestArchive {
    /// gpg homes holding a signing key: the archive's, and a stranger's.
    static let archiveHome = makeKey("ownerboot test archive")
    static let otherHome = makeKey("not the archive")

    let mirror: URL
    let suite: String
    let keyring: URL
    let archive: LockFile.Archive
    static let indexPath = "main/binary-amd64/Packages.xz"

    /// `debs`: each package with the .deb the index describes (its size and SHA-256).
    init(debs: [(LockFile.Package, URL)], mirror: URL, suite: String = "bookworm", signer: URL = TestArchive.archiveHome,
         editPackages: (String) -> String = { $0 }, editRelease: (String) -> String = { $0 }) throws {
        self.mirror = mirror
        self.suite = suite
        let fm = FileManager.default
        var packages = ""
        for (package, deb) in debs {
            let size = (try fm.attributesOfItem(atPath: deb.path)[.size] as? NSNumber)!.int64Value
            packages += "Package: \(package.name)\nVersion: \(package.version)\nArchitecture: \(package.architecture)\nMaintainer: t <t@invalid>\n"
                + "Filename: pool/main/\(package.debFileName)\nSize: \(size)\nSHA256: \(try SHA256Digest.hex(fileAt: deb))\nDescription: test\n\n"
        }
        packages = editPackages(packages)
        let dists = mirror.appendingPathComponent("dists/\(suite)")
        let folder = dists.appendingPathComponent("main/binary-amd64")
        try fm.createDirectory(at: folder.appendingPathComponent("by-hash/SHA256"), withIntermediateDirectories: true)
        let plain = folder.appendingPathComponent("Packages")
        try Data(packages.utf8).write(to: plain)
        try? fm.removeItem(at: folder.appendingPathComponent("Packages.xz"))
        try ProcessRunner().checked("xz", ["-k", "-f", plain.path])
        let xz = folder.appendingPathComponent("Packages.xz")
        let xzHash = try SHA256Digest.hex(fileAt: xz)
        let xzSize = (try fm.attributesOfItem(atPath: xz.path)[.size] as? NSNumber)!.int64Value
        try? fm.removeItem(at: folder.appendingPathComponent("by-hash/SHA256/\(xzHash)"))
        try fm.copyItem(at: xz, to: folder.appendingPathComponent("by-hash/SHA256/\(xzHash)"))
        let release = editRelease("Origin: Debian\nLabel: Debian\nSuite: oldstable\nCodename: \(suite)\nDate: Sat, 11 Jul 2026 10:16:37 UTC\nAcquire-By-Hash: yes\n"
            + "Architectures: amd64\nComponents: main\nSHA256:\n \(xzHash) \(xzSize) \(Self.indexPath)\n")
        let releaseFile = dists.appendingPathComponent("Release")
        try Data(release.utf8).write(to: releaseFile)
        let inRelease = dists.appendingPathComponent("InRelease")
        try? fm.removeItem(at: inRelease)
        let signing = ProcessRunner(environment: ["GNUPGHOME": signer.path, "PATH": "/usr/bin:/bin"])
        // gpg starts an agent per home that outlives the test process: stopped after each use,
        // one signature at a time (tests side by side share the homes).
        Self.gpgLock.lock()
        defer { Self.gpgLock.unlock() }
        defer { _ = try? signing.run("gpgconf", ["--kill", "gpg-agent"]) }
        try signing.checked("gpg", ["--batch", "--yes", "--clearsign", "--output", inRelease.path, releaseFile.path])
        keyring = Self.archiveHome.appendingPathComponent("keyring.gpg")
        archive = LockFile.Archive(inRelease: try SHA256Digest.hex(fileAt: inRelease), indexes: [Self.indexPath])
    }

    /// Serves `http://deb.debian.org/debian/…` from the mirror folder, as apt-helper would.
    var downloader: ArchiveFetcher.Downloader {
        let mirror = self.mirror
        return { url, file in
            let prefix = "http://deb.debian.org/debian/"
            guard url.hasPrefix(prefix), FileManager.default.fileExists(atPath: mirror.appendingPathComponent(String(url.dropFirst(prefix.count))).path) else {
                throw LockError.archiveUnavailable(inRelease: "-", detail: "not on the test mirror: \(url)")
            }
            try FileManager.default.copyItem(at: mirror.appendingPathComponent(String(url.dropFirst(prefix.count))), to: file)
        }
    }

    static let gpgLock = NSLock()

    /// A gpg home with one Ed25519 signing key and `keyring.gpg`, its public key exported.
    static func makeKey(_ name: String) -> URL {
        gpgLock.lock()
        defer { gpgLock.unlock() }
        let home = URL(fileURLWithPath: "/tmp/ob-gpg-\(UUID().uuidString.prefix(8))")
        try! FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let gpg = ProcessRunner(environment: ["GNUPGHOME": home.path, "PATH": "/usr/bin:/bin"])
        _ = try! gpg.checked("gpg", ["--batch", "--pinentry-mode", "loopback", "--passphrase", "", "--quick-gen-key", "\(name) <test@invalid>", "ed25519", "sign", "never"])
        let exported = try! gpg.checked("gpg", ["--batch", "--export"]).stdout
        try! exported.write(to: home.appendingPathComponent("keyring.gpg"))
        _ = try? gpg.run("gpgconf", ["--kill", "gpg-agent"])
        return home
    }
}
