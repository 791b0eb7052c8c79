/// A cpio "newc" archive (the Linux initramfs format), written deterministically.
///
/// `serialize()` depends only on the entries and `mtime`: entries are sorted by path (bytewise),
/// missing parent directories are added (mode 0755), uid/gid are 0, inode numbers are given
/// in path order, every entry carries the same `mtime` (use SOURCE_DATE_EPOCH), hard links share
/// an inode with the data on the first name (as the kernel's initramfs unpacker expects), and
/// headers, names and data are padded to 4 bytes, ending with `TRAILER!!!`. `parse` reads an
/// archive back (bounds-checked, `BootError` on damage).
public struct CPIOArchive: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case file([UInt8])
        case directory
        case symlink(target: String)
        case characterDevice(major: UInt32, minor: UInt32)
        case blockDevice(major: UInt32, minor: UInt32)
        case fifo
        /// Another name for the regular file at `target` (a path in the same archive).
        case hardLink(target: String)
    }

    public struct Entry: Sendable, Equatable {
        /// Relative path without a leading "/" (e.g. "bin/busybox").
        public var path: String
        /// Permission bits (e.g. 0o755); the file type comes from `kind`.
        public var permissions: UInt32
        public var kind: Kind
        public var uid: UInt32 = 0
        public var gid: UInt32 = 0

        public init(path: String, permissions: UInt32, kind: Kind, uid: UInt32 = 0, gid: UInt32 = 0) {
            self.path = CPIOArchive.normalize(path)
            self.permissions = permissions & 0o7777
            self.kind = kind
            self.uid = uid
            self.gid = gid
        }
    }

    public var entries: [Entry]
    public var mtime: UInt32

    public init(entries: [Entry] = [], mtime: UInt32 = 0) {
        self.entries = entries
        self.mtime = mtime
    }

    static func normalize(_ path: String) -> String {
        var p = Substring(path)
        while p.hasPrefix("/") || p.hasPrefix("./") { p = p.hasPrefix("/") ? p.dropFirst() : p.dropFirst(2) }
        while p.hasSuffix("/") { p = p.dropLast() }
        return p.isEmpty ? "." : String(p)
    }

    static func typeBits(_ kind: Kind) -> UInt32 {
        switch kind {
        case .file, .hardLink: return 0o100000
        case .directory: return 0o040000
        case .symlink: return 0o120000
        case .characterDevice: return 0o020000
        case .blockDevice: return 0o060000
        case .fifo: return 0o010000
        }
    }

    /// The entries in archive order: sorted, parents added, duplicates rejected.
    public func normalizedEntries() throws -> [Entry] {
        var byPath: [String: Entry] = [:]
        for e in entries {
            if byPath[e.path] != nil { throw BootError.malformed(what: "cpio entry \(e.path)", offset: 0, reason: "the path appears twice") }
            byPath[e.path] = e
        }
        for e in entries {
            var parts = e.path.split(separator: "/").dropLast()
            while !parts.isEmpty {
                let parent = parts.joined(separator: "/")
                if byPath[parent] == nil { byPath[parent] = Entry(path: parent, permissions: 0o755, kind: .directory) }
                parts = parts.dropLast()
            }
        }
        return byPath.values.sorted { Array($0.path.utf8).lexicographicallyPrecedes(Array($1.path.utf8)) }
    }

    public func serialize() throws -> [UInt8] {
        let sorted = try normalizedEntries()
        var inode: [String: UInt32] = [:]
        var linkCount: [String: UInt32] = [:]
        var next: UInt32 = 1
        for e in sorted {
            if case .hardLink(let target) = e.kind {
                let t = Self.normalize(target)
                guard let te = sorted.first(where: { $0.path == t }), case .file = te.kind else {
                    throw BootError.malformed(what: "cpio hard link \(e.path)", offset: 0, reason: "target \(target) is not a regular file in the archive")
                }
                linkCount[t, default: 1] += 1
            }
        }
        for e in sorted where inode[e.path] == nil {
            if case .hardLink = e.kind { continue }
            inode[e.path] = next
            next += 1
        }
        var subdirs: [String: UInt32] = [:]
        for e in sorted where e.kind == .directory {
            let parent = e.path.split(separator: "/").dropLast().joined(separator: "/")
            if !parent.isEmpty { subdirs[parent, default: 0] += 1 }
        }
        var out: [UInt8] = []
        // Data for a hard-link group goes with the first name in archive order.
        var written = Set<UInt32>()
        for e in sorted {
            var data: [UInt8] = []
            var ino: UInt32, nlink: UInt32 = 1, rmaj: UInt32 = 0, rmin: UInt32 = 0
            switch e.kind {
            case .file(let d):
                ino = inode[e.path]!
                nlink = linkCount[e.path] ?? 1
                if !written.contains(ino) { data = d; written.insert(ino) }
            case .hardLink(let target):
                let t = Self.normalize(target)
                ino = inode[t]!
                nlink = linkCount[t] ?? 1
                if !written.contains(ino), let te = sorted.first(where: { $0.path == t }), case .file(let d) = te.kind {
                    data = d; written.insert(ino)
                }
            case .directory:
                ino = inode[e.path]!
                nlink = 2 + (subdirs[e.path] ?? 0)
            case .symlink(let target):
                ino = inode[e.path]!
                data = Array(target.utf8)
            case .characterDevice(let ma, let mi), .blockDevice(let ma, let mi):
                ino = inode[e.path]!
                rmaj = ma; rmin = mi
            case .fifo:
                ino = inode[e.path]!
            }
            Self.appendHeader(&out, ino: ino, mode: Self.typeBits(e.kind) | e.permissions, uid: e.uid, gid: e.gid, nlink: nlink, mtime: mtime,
                              size: UInt32(data.count), rdevMajor: rmaj, rdevMinor: rmin, name: e.path)
            out += data
            Self.pad(&out)
        }
        Self.appendHeader(&out, ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, size: 0, rdevMajor: 0, rdevMinor: 0, name: "TRAILER!!!")
        return out
    }

    static func pad(_ out: inout [UInt8]) {
        while out.count % 4 != 0 { out.append(0) }
    }

    static func appendHeader(_ out: inout [UInt8], ino: UInt32, mode: UInt32, uid: UInt32, gid: UInt32, nlink: UInt32, mtime: UInt32,
                             size: UInt32, rdevMajor: UInt32, rdevMinor: UInt32, name: String) {
        out += Array("070701".utf8)
        let nameBytes = Array(name.utf8) + [0]
        for v in [ino, mode, uid, gid, nlink, mtime, size, 0, 0, rdevMajor, rdevMinor, UInt32(nameBytes.count), 0] {
            let h = String(v, radix: 16, uppercase: false)
            out += Array((String(repeating: "0", count: 8 - h.count) + h).utf8)
        }
        out += nameBytes
        pad(&out)
    }

    /// One record as stored, for `parse`.
    public struct Record: Sendable, Equatable {
        public var path: String
        public var mode: UInt32
        public var uid: UInt32
        public var gid: UInt32
        public var nlink: UInt32
        public var mtime: UInt32
        public var inode: UInt32
        public var rdevMajor: UInt32
        public var rdevMinor: UInt32
        public var data: [UInt8]
    }

    /// Reads every record up to the trailer.
    public static func parse(_ bytes: [UInt8]) throws -> [Record] {
        let r = ByteReader(bytes)
        var o = 0
        var records: [Record] = []
        while true {
            let magic = try r.slice("cpio header", at: o, count: 110)
            guard magic.prefix(6).elementsEqual(Array("070701".utf8)) || magic.prefix(6).elementsEqual(Array("070702".utf8)) else {
                throw BootError.badMagic(what: "cpio newc header", offset: o, found: String(decoding: magic.prefix(6), as: UTF8.self))
            }
            var fields: [UInt32] = []
            for i in 0..<13 {
                let start = magic.startIndex + 6 + i * 8
                guard let v = UInt32(String(decoding: magic[start..<(start + 8)], as: UTF8.self), radix: 16) else {
                    throw BootError.malformed(what: "cpio header", offset: o + 6 + i * 8, reason: "field is not hexadecimal")
                }
                fields.append(v)
            }
            let nameSize = Int(fields[11]), size = Int(fields[6])
            guard nameSize >= 1 else { throw BootError.malformed(what: "cpio header", offset: o, reason: "empty name") }
            let nameField = try r.slice("cpio name", at: o + 110, count: nameSize)
            let name = String(decoding: nameField.prefix { $0 != 0 }, as: UTF8.self)
            let dataStart = try Checked.alignUp(o + 110 + nameSize, 4, what: "cpio", offset: o)
            let data = try r.slice("cpio data of \(name)", at: dataStart, count: size)
            if name == "TRAILER!!!" { break }
            records.append(Record(path: name, mode: fields[1], uid: fields[2], gid: fields[3], nlink: fields[4], mtime: fields[5],
                                  inode: fields[0], rdevMajor: fields[9], rdevMinor: fields[10], data: Array(data)))
            o = try Checked.alignUp(dataStart + size, 4, what: "cpio", offset: o)
        }
        return records
    }
}
