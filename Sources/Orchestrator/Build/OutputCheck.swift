import Foundation

/// What a builder's output may hold before it enters the store: files, folders and symbolic
/// links that stay inside the output. Refused, naming the file: a setuid or setgid bit (a
/// multi-id builder runs as root of its namespace, which is root on the host), a device node,
/// FIFO or socket, and a link that is absolute or climbs out of the output (a later reader
/// following it would reach the host). Runs on the host after the sandbox exited, so nothing
/// inside can change the tree while it is looked at.
enum OutputCheck {
    static func check(_ output: URL, derivation: String) throws {
        guard let enumerator = FileManager.default.enumerator(atPath: output.path) else { return }
        while let path = enumerator.nextObject() as? String {
            let full = output.appendingPathComponent(path).path
            var info = stat()
            guard lstat(full, &info) == 0 else { continue }
            func refuse(_ reason: String, _ fix: String) -> BuildError {
                BuildError.unsafeOutput(derivation: derivation, path: path, reason: reason, fix: fix)
            }
            switch info.st_mode & S_IFMT {
            case S_IFREG, S_IFDIR:
                if info.st_mode & (S_ISUID | S_ISGID) != 0 {
                    let bits = [info.st_mode & S_ISUID != 0 ? "setuid" : nil, info.st_mode & S_ISGID != 0 ? "setgid" : nil].compactMap { $0 }.joined(separator: " and ")
                    throw refuse("it has the \(bits) bit (mode \(String(info.st_mode & 0o7777, radix: 8)))",
                                 "clear it in the builder (`chmod ug-s`); a setuid file belongs inside an image the builder makes, not in the store")
                }
            case S_IFLNK:
                let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: full)) ?? "?"
                switch ContainedLink.resolve(path, in: output) {
                case .inside: break
                case .outside:
                    throw refuse("it is a symbolic link to \(target), outside the output",
                                 "make the link relative and inside /out (`ln -s busybox bin/sh`), or copy the file in")
                case .loop:
                    throw refuse("it is a symbolic link to \(target) that loops (more than \(ContainedLink.maximumHops) links)", "remove the loop")
                }
            default:
                throw refuse("it is a device node, FIFO or socket", "a device node belongs in a pack spec's `devices` (board.toml) or inside an image, not in the store")
            }
        }
    }
}
