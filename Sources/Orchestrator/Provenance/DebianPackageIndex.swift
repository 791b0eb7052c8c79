import Crypto
import Foundation

/// Which Debian package a file came from, read from a build environment root's dpkg database
/// (`var/lib/dpkg/info/<package>[:arch].md5sums`). A file copied out of the build environment
/// (the unlocker's busybox, cryptsetup and libraries) is found by its content, wherever the
/// builder put it; dpkg records md5 only, so a match is by md5 and size-free, and the
/// package's version and .deb SHA-256 then come from the lock, not from this index.
public struct DebianPackageIndex: Sendable {
    /// md5 → (package, path in the package), every owner of that content.
    var owners: [String: [(package: String, path: String)]] = [:]

    public init() {}

    /// Reads every `*.md5sums` under `root/var/lib/dpkg/info`. A root without a dpkg
    /// database gives an empty index.
    public init(root: URL) throws {
        let info = root.appendingPathComponent("var/lib/dpkg/info")
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: info.path) else { return }
        for name in names.sorted() where name.hasSuffix(".md5sums") {
            let package = String(name.dropLast(".md5sums".count).split(separator: ":")[0])
            let url = info.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw ProvenanceError.unreadable(path: url.path, reason: "not UTF-8 text")
            }
            for line in text.split(separator: "\n") {
                // "<md5>  <path without leading slash>"
                guard line.count > 34 else { continue }
                let md5 = String(line.prefix(32)).lowercased()
                let path = "/" + line.dropFirst(34)
                owners[md5, default: []].append((package, path))
            }
        }
    }

    public var isEmpty: Bool { owners.isEmpty }

    /// The package that ships a file with this content: the one whose path has the same file
    /// name when several ship identical bytes, else the first by name.
    public func package(md5: String, fileName: String) -> String? {
        guard let candidates = owners[md5.lowercased()], !candidates.isEmpty else { return nil }
        let sameName = candidates.filter { ($0.path as NSString).lastPathComponent == fileName }
        return (sameName.isEmpty ? candidates : sameName).map(\.package).sorted().first
    }
}
