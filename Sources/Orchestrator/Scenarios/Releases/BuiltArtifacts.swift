import Boot
import Foundation
import Support

/// What the latest build of a board left in the store, as the QEMU tests need it: the ROM,
/// the OS image, and the values the console should show
/// (read from the ROM's own manifest, so a test checks what is really in the image).
public enum BuiltArtifacts {
    /// The generation with `setHash` (what the checkout builds); an update's previous release
    /// is `PreviousRelease`'s, never another generation of the store.
    public static func of(board: Board, setHash: String, store: Store) throws -> BoardTestSession.Artifacts {
        let generations = try store.generations(board: board.name)
        guard let current = generations.first(where: { $0.setHash == setHash }) else { throw ArtifactError.notBuilt(board: board.name) }
        let rom = try romPath(current, board: board, store: store)
        let osFolder = try componentPath("os", current, board: board, store: store)
        // A verity OS leaves os.img (ext4 + hash tree) and where its hash tree starts.
        let verityImage = osFolder.appendingPathComponent("os.img")
        let isVerity = FileManager.default.fileExists(atPath: verityImage.path)
        let os = isVerity ? verityImage : osFolder.appendingPathComponent("os.ext4")
        let hashOffset = isVerity ? (try? String(contentsOf: osFolder.appendingPathComponent("hash_offset"), encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) } : nil
        guard let bytes = FileManager.default.contents(atPath: rom.path),
              let manifest = try OwnerbootManifest.read(fromImage: Array(bytes)) else {
            throw ArtifactError.noManifest(path: rom.path)
        }
        let kernel = (try? componentPath("kernel", current, board: board, store: store))?.appendingPathComponent("bzImage")
        let unlocker = try? componentPath("unlocker", current, board: board, store: store)
        let initrd = unlocker.flatMap { dir in
            ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted().first { $0.hasPrefix("initramfs.cpio") }.map { dir.appendingPathComponent($0) }
        }
        var variables = ["board": manifest.board, "generation": "\(manifest.generation)", "set_hash": manifest.setHash]
        if let root = manifest.osRootHash { variables["os_root_hash"] = root }
        // The payload's command line as rom.sh put it in the ROM: `payload` scenarios boot with it.
        if let cmdline = try? String(contentsOf: rom.deletingLastPathComponent().appendingPathComponent("cmdline"), encoding: .utf8) {
            variables["rom_cmdline"] = cmdline.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var artifacts = BoardTestSession.Artifacts(
            rom: rom, osImage: os, previousROM: nil, variables: variables,
            luksUUID: board.rootUUID, kernel: kernel, initrd: initrd)
        if isVerity, let slotB = board.slotBUUID, let state = board.stateUUID {
            artifacts.verityLayout = DiskProvisioner.VerityLayout(slotBUUID: slotB, stateUUID: state)
            artifacts.hashOffset = hashOffset
        }
        artifacts.cbfstool = (try? componentPath("firmware", current, board: board, store: store))?.appendingPathComponent("cbfstool")
        return artifacts
    }

    static func componentPath(_ name: String, _ generation: Store.Generation, board: Board, store: Store) throws -> URL {
        guard let hash = generation.components[name] else { throw ArtifactError.noComponent(board: board.name, component: name, generation: generation.number) }
        let url = store.path(hash: hash, name: name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ArtifactError.collected(path: url.path, board: board.name) }
        return url
    }

    static func romPath(_ generation: Store.Generation, board: Board, store: Store) throws -> URL {
        try componentPath(BuildPlan.romComponent, generation, board: board, store: store).appendingPathComponent("\(board.name).rom")
    }
}
