/// The one rule for the permission bits of files that enter the store from outside a build
/// (a board snapshot, an imported bundle): no setuid, setgid or sticky bit and nothing group-
/// or world-writable; a folder or a file with any execute bit becomes 0755, every other file
/// 0644. Board folders written with the usual umask already have these modes, so their
/// snapshots hash as before; an odd umask or a hostile bundle's 04777 cannot change it.
public enum StoredMode {
    public static func clamped(_ mode: Int, isDirectory: Bool) -> Int {
        isDirectory || mode & 0o111 != 0 ? 0o755 : 0o644
    }
}
