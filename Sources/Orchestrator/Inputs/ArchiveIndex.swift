import Foundation
import Support

/// What Debian signed about a lock's packages, verified: the suite's `InRelease` checked with
/// the archive keyring (`gpgv`), each `Packages` index checked against the SHA-256 and size
/// InRelease lists for it, and the index's record (SHA-256, size) of every pinned package.
/// Only text gpgv reports as signed is read; an InRelease with anything outside its one
/// signed block is refused. `check` then compares a pin or a .deb with the signed record, so
/// a lock (or a bundle's lock) can pin only .debs Debian's archive published.
public struct ArchiveIndex: Sendable {
    /// The keyring every InRelease must be signed with (package debian-archive-keyring).
    public static let debianKeyring = URL(fileURLWithPath: "/usr/share/keyrings/debian-archive-keyring.gpg")
    /// The file names inside the metadata's store entry.
    public static let inReleaseName = "InRelease"

    public struct Record: Sendable, Equatable {
        public var sha256: String
        public var size: Int64
    }

    public let archive: LockFile.Archive
    /// `name version architecture` → the signed record, for the packages asked for.
    public let records: [String: Record]

    static func key(_ name: String, _ version: String, _ architecture: String) -> String { "\(name) \(version) \(architecture)" }

    /// Verifies the metadata in `folder` (a store entry, or a bundle's staged copy) and reads
    /// the records of `packages`. Throws `LockError.archive…` naming the file that failed.
    public static func verify(_ folder: URL, archive: LockFile.Archive, suite: String, keyring: URL = debianKeyring,
                              packages: [LockFile.Package]) throws -> ArchiveIndex {
        let inReleaseURL = folder.appendingPathComponent(inReleaseName)
        guard let inRelease = FileManager.default.contents(atPath: inReleaseURL.path) else {
            throw LockError.archiveMetadataMissing(entry: archive.derivation.storeName, file: inReleaseName)
        }
        let actual = SHA256Digest.hex(inRelease)
        guard actual == archive.inRelease else {
            throw LockError.archiveIndexMismatch(file: inReleaseName, what: "SHA-256", expected: archive.inRelease, actual: actual)
        }
        let listed = try signedIndexes(inRelease, suite: suite, keyring: keyring)
        let wanted = Set(packages.map { key($0.name, $0.version, $0.architecture) })
        var records: [String: Record] = [:]
        for path in archive.indexes {
            guard isIndexPath(path) else { throw LockError.archiveIndexMismatch(file: path, what: "path", expected: "COMPONENT/binary-ARCH/Packages.xz", actual: path) }
            guard let signed = listed[path] else { throw LockError.archiveIndexMismatch(file: path, what: "listing", expected: "listed in InRelease", actual: "not listed") }
            let url = folder.appendingPathComponent(path)
            guard FileManager.default.fileExists(atPath: url.path) else { throw LockError.archiveMetadataMissing(entry: archive.derivation.storeName, file: path) }
            let size = Int64((try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.int64Value ?? -1)
            guard size == signed.size else { throw LockError.archiveIndexMismatch(file: path, what: "size", expected: "\(signed.size)", actual: "\(size)") }
            let hash = try SHA256Digest.hex(fileAt: url)
            guard hash == signed.sha256 else { throw LockError.archiveIndexMismatch(file: path, what: "SHA-256", expected: signed.sha256, actual: hash) }
            let text = try ProcessRunner(timeout: 600).checked("xz", ["-dc", url.path]).stdout
            records.merge(parsePackages(text, wanted: wanted)) { first, _ in first }
        }
        return ArchiveIndex(archive: archive, records: records)
    }

    /// Index paths a lock may name: `component/binary-arch/Packages.xz`, nothing that could
    /// leave the entry's folder.
    static func isIndexPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let safe = { (part: String) in !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") } }
        return parts.count == 3 && safe(parts[0]) && parts[1].hasPrefix("binary-") && safe(parts[1]) && parts[2] == "Packages.xz"
    }

    /// The lock's pin is what the archive signed: listed, with the same SHA-256.
    public func check(_ package: LockFile.Package) throws {
        guard let record = records[Self.key(package.name, package.version, package.architecture)] else {
            throw LockError.packageNotInArchive(package: "\(package.pin) (\(package.architecture))", inRelease: archive.inRelease)
        }
        guard record.sha256 == package.sha256 else {
            throw LockError.packageArchiveMismatch(package: package.pin, what: "the lock's SHA-256", expected: record.sha256, actual: package.sha256 ?? "none")
        }
    }

    /// A .deb file is the one the archive signed: its size and SHA-256 are the record's.
    public func check(deb file: URL, of package: LockFile.Package) throws {
        try check(package)
        let record = records[Self.key(package.name, package.version, package.architecture)]!
        let size = Int64((try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? -1)
        guard size == record.size else {
            throw LockError.packageArchiveMismatch(package: package.pin, what: "\(file.lastPathComponent)'s size", expected: "\(record.size)", actual: "\(size)")
        }
        let actual = try SHA256Digest.hex(fileAt: file)
        guard actual == record.sha256 else {
            throw LockError.packageArchiveMismatch(package: package.pin, what: "\(file.lastPathComponent)'s SHA-256", expected: record.sha256, actual: actual)
        }
    }

    /// Checks InRelease's signature with `keyring` and returns the SHA256 section of the text
    /// gpgv says is signed (index path → hash and size). The suite must be the lock's (its
    /// `Codename` or `Suite`), so a signed InRelease of another suite is refused.
    static func signedIndexes(_ inRelease: Data, suite: String, keyring: URL) throws -> [String: Record] {
        // One clearsigned block and nothing around it (apt refuses the same): text outside
        // the signature must never be read as if it were signed.
        let text = String(decoding: inRelease, as: UTF8.self)
        let begin = "-----BEGIN PGP SIGNED MESSAGE-----\n", signature = "-----BEGIN PGP SIGNATURE-----\n", end = "-----END PGP SIGNATURE-----"
        guard text.hasPrefix(begin), text.components(separatedBy: begin).count == 2, text.components(separatedBy: signature).count == 2,
              let endRange = text.range(of: end), text[endRange.upperBound...].allSatisfy(\.isWhitespace) else {
            throw LockError.archiveSignature(detail: "InRelease is not one clearsigned block (an unsigned file, or text outside the signature)")
        }
        guard FileManager.default.fileExists(atPath: keyring.path) else {
            throw LockError.archiveSignature(detail: "the keyring \(keyring.path) is missing (package debian-archive-keyring; run `bash scripts/setup.sh`)")
        }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("ob-gpgv-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let result = try ProcessRunner(timeout: 120).run("gpgv", ["--homedir", home.path, "--keyring", keyring.path, "--status-fd", "2", "--output", "-", "-"], stdin: inRelease)
        let status = result.stderrText.split(separator: "\n").filter { $0.hasPrefix("[GNUPG:] ") }
        guard result.status == 0, status.contains(where: { $0.hasPrefix("[GNUPG:] VALIDSIG ") }),
              !status.contains(where: { $0.hasPrefix("[GNUPG:] BADSIG ") || $0.hasPrefix("[GNUPG:] ERRSIG ") }) else {
            let reason = ["NO_PUBKEY", "BADSIG", "ERRSIG"].lazy.compactMap { word in status.first { $0.hasPrefix("[GNUPG:] \(word)") } }.first
            throw LockError.archiveSignature(detail: "gpgv against \(keyring.path) refused InRelease (exit \(result.status)): \(reason.map(String.init) ?? ProcessRunner.Result.tail(result.stderrText))")
        }
        let signed = result.stdoutText
        var fields: [String: String] = [:]
        var section = ""
        var listed: [String: Record] = [:]
        for line in signed.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.first == " " {
                guard section == "SHA256" else { continue }
                let parts = line.split(separator: " ")
                if parts.count == 3, let size = Int64(parts[1]) { listed[String(parts[2])] = Record(sha256: String(parts[0]), size: size) }
            } else if let colon = line.firstIndex(of: ":") {
                section = String(line[..<colon])
                fields[section] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
        }
        guard fields["Codename"] == suite || fields["Suite"] == suite else {
            throw LockError.archiveSignature(detail: "the signed InRelease is for suite \(fields["Suite"] ?? "?") (codename \(fields["Codename"] ?? "?")), the lock's suite is \(suite)")
        }
        return listed
    }

    /// The records of `wanted` in a Packages file (stanzas separated by blank lines; only
    /// Package, Version, Architecture, Size and SHA256 are read).
    static func parsePackages(_ data: Data, wanted: Set<String>) -> [String: Record] {
        var records: [String: Record] = [:]
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var name = "", version = "", arch = "", sha = "", size: Int64 = -1
            func flush() {
                if !name.isEmpty, !sha.isEmpty, size >= 0 {
                    let key = Self.key(name, version, arch)
                    if wanted.contains(key), records[key] == nil { records[key] = Record(sha256: sha, size: size) }
                }
                name = ""; version = ""; arch = ""; sha = ""; size = -1
            }
            func value(_ start: Int, _ end: Int, after prefix: Int) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: bytes[(start + prefix)..<end]), as: UTF8.self)
            }
            func starts(_ start: Int, _ end: Int, with field: StaticString) -> Bool {
                let count = field.utf8CodeUnitCount
                guard end - start >= count else { return false }
                let p = field.utf8Start
                for i in 0..<count where bytes[start + i] != p[i] { return false }
                return true
            }
            var start = 0
            let count = bytes.count
            while start < count {
                var end = start
                while end < count && bytes[end] != 0x0A { end += 1 }
                if end == start { flush() } else {
                    switch bytes[start] {
                    case UInt8(ascii: "P") where starts(start, end, with: "Package: "): name = value(start, end, after: 9)
                    case UInt8(ascii: "V") where starts(start, end, with: "Version: "): version = value(start, end, after: 9)
                    case UInt8(ascii: "A") where starts(start, end, with: "Architecture: "): arch = value(start, end, after: 14)
                    case UInt8(ascii: "S") where starts(start, end, with: "SHA256: "): sha = value(start, end, after: 8)
                    case UInt8(ascii: "S") where starts(start, end, with: "Size: "): size = Int64(value(start, end, after: 6)) ?? -1
                    default: break
                    }
                }
                start = end + 1
            }
            flush()
        }
        return records
    }
}
