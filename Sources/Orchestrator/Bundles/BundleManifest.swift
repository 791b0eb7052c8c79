import Foundation
import Support

/// `manifest.json`, the first member of every bundle: which generation it carries, the store
/// entries (each by derivation hash and content hash), and every file with its path, kind,
/// mode, size and SHA-256, in the order they follow in the archive. A signature, when there is
/// one, is over exactly these bytes. `validate` checks it as untrusted input: bounded counts
/// and sizes, and no path that could leave its folder.
public struct BundleManifest: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        /// `<hash>-<name>`: the folder under `store/` in the bundle and in the store.
        public var storeName: String { "\(hash)-\(name)" }
        public var hash: String
        public var name: String
        public var kind: Derivation.Kind
        /// Its `TreeHash`, as the exporting store recorded it.
        public var contentHash: String
        public var size: Int64
    }

    public struct File: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable { case file, directory }
        public var path: String
        public var kind: Kind
        /// Permission bits (e.g. 0o644).
        public var mode: Int
        public var size: Int64
        /// Lowercase hex SHA-256 (files only).
        public var sha256: String?
    }

    public static let fileName = "manifest.json"
    public static let signatureName = "manifest.json.minisig"
    public static let currentFormat = 1

    /// Limits on what an import will read.
    public static let maximumManifestBytes = 64 << 20
    public static let maximumSignatureBytes = 64 << 10
    public static let maximumFiles = 200_000
    public static let maximumFileBytes: Int64 = TarHeader.maximumSize
    public static let maximumTotalBytes: Int64 = 1 << 40

    public var format = BundleManifest.currentFormat
    public var board: String
    public var generation: Store.Generation
    /// The lock's path in the bundle (inside the board snapshot).
    public var lock: String
    /// Component name → content hash of its output in the exporting store: what a rebuild
    /// from this bundle must reproduce.
    public var outputs: [String: String]
    public var entries: [Entry]
    /// Generated files carried beside the inputs (SBOM, provenance), at the bundle's top level.
    public var extras: [String]
    public var files: [File]

    public var totalBytes: Int64 { files.reduce(0) { $0 + $1.size } }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }

    public static func decode(_ data: Data) throws -> BundleManifest {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do { return try decoder.decode(BundleManifest.self, from: data) } catch {
            throw BundleError.badManifest(reason: "\(error)")
        }
    }

    /// A name for a generated file at the top of the bundle.
    static func isValidExtraName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 100 && name != fileName && name != signatureName && name != "store" && name != "extras" && !name.hasPrefix(".")
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) && $0.isASCII || "._-".unicodeScalars.contains($0) }
    }

    /// A relative path that stays inside its folder: no leading `/`, no empty, `.` or `..`
    /// component, no control character or backslash.
    static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, path.utf8.count <= 1024, !path.hasPrefix("/") else { return false }
        if path.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F || $0 == "\\" }) { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
            !component.isEmpty && component != "." && component != ".." && component.utf8.count <= 255
        }
    }

    static func isHex64(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Checks the manifest before any member is read: known format, bounded, every path safe
    /// and inside a listed entry (or a listed extra), no duplicates.
    func validate() throws {
        guard format == Self.currentFormat else { throw BundleError.badManifest(reason: "format \(format) (this ownerboot reads \(Self.currentFormat))") }
        guard files.count <= Self.maximumFiles else { throw BundleError.tooLarge(what: "the number of files (\(files.count))", limit: Int64(Self.maximumFiles)) }
        guard generation.board == board else { throw BundleError.badManifest(reason: "the generation is of board \(generation.board), the bundle of \(board)") }
        guard Self.isSafeRelativePath(board), !board.contains("/") else { throw BundleError.unsafePath(path: board) }
        var names: Set<String> = []
        for entry in entries {
            guard Self.isHex64(entry.hash), Self.isHex64(entry.contentHash), Self.isSafeRelativePath(entry.name), !entry.name.contains("/") else {
                throw BundleError.badManifest(reason: "entry \(entry.storeName) is not a store name")
            }
            guard names.insert(entry.storeName).inserted else { throw BundleError.badManifest(reason: "entry \(entry.storeName) is listed twice") }
        }
        for extra in extras where !Self.isValidExtraName(extra) { throw BundleError.badExtraName(name: extra) }
        var seen: Set<String> = []
        var total: Int64 = 0
        for file in files {
            guard Self.isSafeRelativePath(file.path) else { throw BundleError.unsafePath(path: file.path) }
            guard seen.insert(file.path).inserted else { throw BundleError.badManifest(reason: "\(file.path) is listed twice") }
            let parts = file.path.split(separator: "/").map(String.init)
            let inEntry = parts.count >= 3 && parts[0] == "store" && names.contains(parts[1])
            let isExtra = parts.count == 1 && extras.contains(parts[0]) && file.kind == .file
            guard inEntry || isExtra else { throw BundleError.unexpectedFile(path: file.path) }
            guard file.mode & ~0o777 == 0 else { throw BundleError.unsupportedMember(path: file.path, type: "mode \(String(file.mode, radix: 8))") }
            switch file.kind {
            case .file:
                guard let sha = file.sha256, Self.isHex64(sha) else { throw BundleError.badManifest(reason: "\(file.path) has no SHA-256") }
                guard file.size >= 0, file.size <= Self.maximumFileBytes else { throw BundleError.tooLarge(what: file.path, limit: Self.maximumFileBytes) }
            case .directory:
                guard file.size == 0 else { throw BundleError.badManifest(reason: "folder \(file.path) has a size") }
            }
            total += file.size
            guard total <= Self.maximumTotalBytes else { throw BundleError.tooLarge(what: "the bundle's total size", limit: Self.maximumTotalBytes) }
        }
    }
}
