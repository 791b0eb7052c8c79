/// Adding and removing CBFS files, following cbfstool 4.15's `cbfs_add_entry` and
/// `cbfs_remove_entry` exactly, so an image edited here is byte-identical to one edited by
/// cbfstool (and is therefore accepted by it and by coreboot).
extension CBFS {
    /// Header size for a file called `name`: 24 bytes plus the NUL-terminated name padded to 4.
    static func headerSize(forName name: String) -> Int {
        let n = name.utf8.count + 1
        return headerSize + (n + 3) / 4 * 4
    }

    static func fileHeader(type: CBFSFileType, length: Int, name: String) -> [UInt8] {
        var h: [UInt8] = fileMagic
        h.appendBE(UInt32(truncatingIfNeeded: length))
        h.appendBE(type.rawValue)
        h.appendBE(UInt32(0))
        let size = headerSize(forName: name)
        h.appendBE(UInt32(size))
        h += Array(name.utf8)
        h += [UInt8](repeating: 0, count: size - h.count)
        return h
    }

    /// Writes a free ("(empty)") entry of `length` data bytes at absolute `at`: header, then 0xff.
    /// The entry must lie inside `region` (absolute); callers size it from the region's end.
    static func writeEmptyEntry(_ image: inout [UInt8], at: Int, length: Int, region: Range<Int>) throws {
        let h = fileHeader(type: .null, length: length, name: "")
        guard length >= 0, at >= region.lowerBound, at <= region.upperBound - h.count - length else {
            throw BootError.outOfBounds(what: "CBFS free entry", offset: at, length: h.count + max(0, length), limit: region.upperBound)
        }
        image.replaceSubrange(at..<(at + h.count), with: h)
        let start = at + h.count
        image.replaceSubrange(start..<(start + length), with: repeatElement(0xff, count: length))
    }

    /// Adds `data` as an uncompressed file of `type` (default raw) named `name`, into the first
    /// free entry large enough, splitting the free space as cbfstool does. Returns the new file.
    @discardableResult
    public static func addRaw(to image: inout [UInt8], region: Range<Int>, name: String, data: [UInt8],
                              type: CBFSFileType = .raw, alignment: Int = CBFS.defaultAlignment) throws -> CBFSFile {
        let cbfs = try CBFS(image: image, range: region, alignment: alignment)
        let files = try cbfs.files()
        if files.contains(where: { $0.name == name && !$0.type.isFree }) {
            throw BootError.malformed(what: "CBFS file \(name)", offset: region.lowerBound, reason: "a file of that name already exists")
        }
        guard !name.isEmpty, name.utf8.count < 256 else {
            throw BootError.malformed(what: "CBFS file name", offset: region.lowerBound, reason: "must be 1…255 bytes")
        }
        let header = fileHeader(type: type, length: data.count, name: name)
        let minEntry = headerSize(forName: "")
        let need = header.count + data.count
        for entry in files where entry.type == .null {
            let addr = entry.offset
            // The entry's space ends at the next aligned header, but never past the region: a
            // region whose size is not a multiple of the alignment ends mid-block.
            let next = min(try Checked.alignUp(entry.dataOffset + entry.dataSize, alignment, what: "CBFS", offset: region.lowerBound + addr), region.count)
            guard next - addr >= need else { continue }
            let abs = region.lowerBound + addr
            image.replaceSubrange(abs..<(abs + header.count), with: header)
            image.replaceSubrange((abs + header.count)..<(abs + need), with: data)
            // The rest of the old free entry becomes a new free entry (if a header fits).
            let after = try Checked.alignUp(addr + need, alignment, what: "CBFS", offset: abs)
            if after != next, next - after >= minEntry {
                var len = next - after - minEntry
                // cbfstool keeps 4 bytes for a master header pointer at the end of the region.
                if after + minEntry + len > region.count - 4 { len -= 4 }
                if len >= 0 { try writeEmptyEntry(&image, at: region.lowerBound + after, length: len, region: region) }
            }
            let added = try CBFS(image: image, range: region, alignment: alignment).parseFile(at: addr)
            return added
        }
        throw BootError.noSpace(what: "CBFS file \(name)", needed: need, region: region.lowerBound)
    }

    /// Removes the file named `name` and merges adjacent free space, as `cbfstool remove` does.
    public static func remove(from image: inout [UInt8], region: Range<Int>, name: String, alignment: Int = CBFS.defaultAlignment) throws {
        var files = try CBFS(image: image, range: region, alignment: alignment).files()
        guard let index = files.firstIndex(where: { $0.name == name && !$0.type.isFree }) else {
            throw BootError.notFound(what: "CBFS file \(name)")
        }
        image.writeBE(CBFSFileType.deleted.rawValue, at: region.lowerBound + files[index].offset + 12)
        files[index].type = .deleted
        // cbfs_merge_empty_entry, called on each entry in turn.
        var i = 0
        while i < files.count {
            guard files[i].type.isFree else { i += 1; continue }
            var j = i
            while j < files.count, files[j].type.isFree { j += 1 }
            let nextAddr: Int
            if j < files.count {
                nextAddr = files[j].offset
            } else {
                let last = files[j - 1]
                nextAddr = min(try Checked.alignUp(last.dataOffset + last.dataSize, alignment, what: "CBFS", offset: region.lowerBound + last.offset), region.count)
            }
            // A free run too short for an empty header (tight entries at a small alignment)
            // stays as it is: the removed file is marked deleted either way.
            let len = nextAddr - files[i].offset - headerSize(forName: "")
            if len >= 0 { try writeEmptyEntry(&image, at: region.lowerBound + files[i].offset, length: len, region: region) }
            i = j
        }
    }
}
