import Foundation
import Support

/// What an import records, recomputed rather than taken from the manifest. The manifest is
/// signed, but the signer may be anyone the owner trusts (or nobody, with --allow-unsigned),
/// so each recorded hash is one this store computed:
/// - every file's SHA-256 while it is streamed, each entry's tree hash, each .deb and source
///   file against the bundle's lock, the snapshot's name from its content (`BundleImporter`);
/// - the set hash, from the snapshot's plan in this store;
/// - each component's derivation hash, from that same plan with the generation's own number
///   (the ROM embeds it): a component the manifest names differently is refused. The ROM's
///   derivation is the exception: it includes the write-protected half it keeps, which comes
///   from the exporting store's promotions and is not in the bundle, so the ROM this store
///   would build is recorded instead of the manifest's (the set hash leaves the ROM out);
/// - the generation's live derivations: the plan's steps, the snapshot and the attestation,
///   never a list from the manifest (which could keep anything in this store alive or point
///   a generation at another generation's ROM).
/// What it cannot recompute: `outputs` (the exporting store's content hashes of the built
/// components) are only shown, as what a rebuild must reproduce, and never recorded.
/// Modes are clamped (`StoredMode`) after the checks, before anything is installed.
extension BundleImporter {
    static func recomputed(_ recorded: Store.Generation, plan: BuildPlan, snapshot: String) throws -> Store.Generation {
        let planned = plan.componentHashes
        let names = Set(planned.keys).union(recorded.components.keys).sorted()
        for name in names where name != BuildPlan.romComponent && planned[name] != recorded.components[name] {
            throw BundleError.inconsistent(entry: "generation \(recorded.number) component \(name)",
                                           reason: "the manifest records derivation \(recorded.components[name] ?? "none"), its board snapshot plans \(planned[name] ?? "none")")
        }
        var generation = recorded
        generation.components = planned
        generation.derivations = (plan.steps.map(\.derivation.hash) + [String(snapshot.prefix(64))]).sorted()
        generation.boardSnapshot = snapshot
        return generation
    }

    /// Clamps every mode under `folder` (`StoredMode`): what a bundle listed as 0777 or 0666
    /// enters the store as 0755 or 0644. Links and other types never get this far (the
    /// archive reader and the manifest refuse them).
    static func clampModes(in folder: URL) throws {
        let fm = FileManager.default
        var paths = [""]
        if let enumerator = fm.enumerator(atPath: folder.path) { while let path = enumerator.nextObject() as? String { paths.append(path) } }
        for path in paths {
            let full = path.isEmpty ? folder.path : folder.appendingPathComponent(path).path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            let kind = info.st_mode & S_IFMT
            guard kind == S_IFDIR || kind == S_IFREG else { throw BundleError.unsupportedFile(path: full) }
            let mode = StoredMode.clamped(Int(info.st_mode & 0o7777), isDirectory: kind == S_IFDIR)
            if Int(info.st_mode & 0o7777) != mode, chmod(full, mode_t(mode)) != 0 { throw BundleError.unreadable(path: full, reason: "cannot set its mode") }
        }
    }
}
