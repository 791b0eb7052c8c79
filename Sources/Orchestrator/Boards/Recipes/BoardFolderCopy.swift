import Foundation

/// Copies a board folder (or a recipe folder) as plain files: symbolic links are copied as the
/// files they point to, so the copy stands alone and a tree hash of it covers their content.
public enum BoardFolderCopy {
    public static func copyResolvingLinks(_ source: URL, to destination: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: source.path) {
            let from = source.appendingPathComponent(name).resolvingSymlinksInPath()
            let to = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard fm.fileExists(atPath: from.path, isDirectory: &isDirectory) else {
                throw BoardError.danglingLink(path: source.appendingPathComponent(name).path)
            }
            if isDirectory.boolValue {
                try copyResolvingLinks(from, to: to)
            } else {
                try copyFile(from, to: to)
            }
        }
    }

    /// One file, its mode kept (builders are run with sh, but a user may run them directly).
    public static func copyFile(_ from: URL, to: URL) throws {
        let fm = FileManager.default
        try fm.copyItem(at: from.resolvingSymlinksInPath(), to: to)
        if let mode = try fm.attributesOfItem(atPath: from.resolvingSymlinksInPath().path)[.posixPermissions] {
            try fm.setAttributes([.posixPermissions: mode], ofItemAtPath: to.path)
        }
    }
}
