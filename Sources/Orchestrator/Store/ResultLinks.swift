import Foundation

/// `result/<board>/<component>` symlinks to the store outputs of the last build, replaced
/// atomically (a new link is made beside the old one and renamed over it).
public enum ResultLinks {
    public static func update(board: String, outputs: [String: String], in directory: URL) throws {
        let folder = directory.appendingPathComponent("result/\(board)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, target) in outputs {
            let link = folder.appendingPathComponent(name)
            let temp = folder.appendingPathComponent(".\(name).new")
            try? FileManager.default.removeItem(at: temp)
            try FileManager.default.createSymbolicLink(atPath: temp.path, withDestinationPath: target)
            guard rename(temp.path, link.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        }
    }
}
