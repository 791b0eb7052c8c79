import Foundation

/// Creates a file only its owner may read, with no moment where it is readable by others and
/// without ever replacing an existing file: the bytes go to a temporary name opened with
/// `O_CREAT | O_EXCL` and mode 0600, are synced, then hard-linked to the final name (which
/// fails if that name exists) and the temporary name is removed.
enum SecretFile {
    static func create(at url: URL, contents: Data) throws(SignatureError) {
        if FileManager.default.fileExists(atPath: url.path) { throw .keyExists(path: url.path) }
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).partial").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .writeFailed(path: url.path, reason: String(cString: strerror(errno))) }
        defer { unlink(temporary) }
        let written = contents.withUnsafeBytes { raw in write(fd, raw.baseAddress, raw.count) }
        let synced = fsync(fd) == 0
        // umask may only take bits away; set 0600 explicitly in case it was applied oddly.
        let modeSet = fchmod(fd, 0o600) == 0
        close(fd)
        guard written == contents.count, synced, modeSet else {
            throw .writeFailed(path: url.path, reason: "short write or sync failure")
        }
        guard link(temporary, url.path) == 0 else {
            if errno == EEXIST { throw .keyExists(path: url.path) }
            throw .writeFailed(path: url.path, reason: String(cString: strerror(errno)))
        }
    }
}
