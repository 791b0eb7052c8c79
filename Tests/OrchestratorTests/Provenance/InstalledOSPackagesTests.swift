import Foundation
import Testing
@testable import Orchestrator

/// The SBOM's OS packages come from what dpkg lists in the finished image, matched to the
/// lock: a pinned package that was not installed is not claimed, and an installed package the
/// lock does not pin (or pins at another version) is refused with its file and line.
@Suite struct InstalledOSPackagesTests {
    static let pinned: [LockFile.Package] = [
        .init(name: "apt", version: "2.6.1", architecture: "amd64", sha256: String(repeating: "a", count: 64)),
        .init(name: "systemd", version: "252.39-1~deb12u1", architecture: "amd64", sha256: String(repeating: "b", count: 64)),
        .init(name: "tzdata", version: "2025b-0+deb12u1", architecture: "all", sha256: String(repeating: "c", count: 64)),
    ]

    @Test func onlyTheInstalledPinsAreListedWithTheirDebHashes() throws {
        let installed = try InstalledOSPackages.parse("tzdata 2025b-0+deb12u1 all\nsystemd 252.39-1~deb12u1 amd64\n", pinned: Self.pinned, path: "packages.txt")
        #expect(installed.map(\.name) == ["systemd", "tzdata"])
        #expect(installed.map(\.sha256) == [String(repeating: "b", count: 64), String(repeating: "c", count: 64)])
    }

    @Test func anInstalledPackageAtAnotherVersionIsRefusedWithItsLine() {
        #expect(throws: ProvenanceError.unpinnedOSPackage(path: "/s/os/packages.txt", line: 2, package: "systemd=252.38-1~deb12u1 (amd64)")) {
            try InstalledOSPackages.parse("tzdata 2025b-0+deb12u1 all\nsystemd 252.38-1~deb12u1 amd64\n", pinned: Self.pinned, path: "/s/os/packages.txt")
        }
        #expect(throws: ProvenanceError.unpinnedOSPackage(path: "p", line: 1, package: "curl=7.88.1-10+deb12u12 (amd64)")) {
            try InstalledOSPackages.parse("curl 7.88.1-10+deb12u12 amd64\n", pinned: Self.pinned, path: "p")
        }
    }

    @Test func aMalformedLineIsRefused() {
        #expect(throws: ProvenanceError.self) { try InstalledOSPackages.parse("systemd\n", pinned: Self.pinned, path: "p") }
    }

    @Test func anImageWithoutAPackageListHasNone() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try InstalledOSPackages.read(outputDirectory: dir, pinned: Self.pinned) == nil)
        try Data("apt 2.6.1 amd64\n".utf8).write(to: dir.appendingPathComponent("packages.txt"))
        #expect(try InstalledOSPackages.read(outputDirectory: dir, pinned: Self.pinned)?.map(\.name) == ["apt"])
    }
}
