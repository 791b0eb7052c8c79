import Foundation
import Support

/// The LUKS2 containers of a device's disk image: the whole file for a plain OS's disk, or each
/// LUKS2 partition of a verity OS's GPT (root slots A and B, state). Enrolling a key (Clevis,
/// cryptsetup luksAddKey) changes only a container's header — everything before its data
/// segment — so `forEachHeader` lends each header as a file of its own to tools that work on
/// a LUKS2 file (the host has no device-mapper or loop devices to open a partition) and writes
/// it back afterwards. The disk is untrusted input: offsets and sizes are checked against the
/// file before anything is read or written.
public enum LUKSContainers {
    public struct Container: Sendable, Equatable {
        /// The GPT partition name (e.g. "ownerboot-root-a"), or "disk" for a whole-file container.
        public var name: String
        /// Where the container starts in the file, and its header's size (the data offset).
        public var offset: Int64
        public var headerSize: Int64
    }

    /// LUKS's magic: "LUKS" 0xBA 0xBE, then the version (2) as a big-endian UInt16.
    static let magic: [UInt8] = [0x4C, 0x55, 0x4B, 0x53, 0xBA, 0xBE, 0x00, 0x02]

    /// The disk's LUKS2 containers in order; empty when there are none.
    public static func find(in disk: URL, runner: ProcessRunner = ProcessRunner(timeout: 60)) throws -> [Container] {
        let handle = try FileHandle(forReadingFrom: disk)
        defer { try? handle.close() }
        let fileSize = Int64(try handle.seekToEnd())
        if let header = try headerSize(handle, at: 0, fileSize: fileSize) {
            return [Container(name: "disk", offset: 0, headerSize: header)]
        }
        // A GPT: sfdisk reads the table (the same tool wrote it); each LUKS2 partition counts.
        let listing = try runner.run("sfdisk", ["--json", disk.path])
        guard listing.succeeded,
              let object = try? JSONSerialization.jsonObject(with: Data(listing.stdoutText.utf8)) as? [String: Any],
              let table = object["partitiontable"] as? [String: Any],
              let partitions = table["partitions"] as? [[String: Any]] else { return [] }
        let sectorSize = (table["sectorsize"] as? NSNumber)?.int64Value ?? 512
        var found: [Container] = []
        for (index, partition) in partitions.enumerated() {
            guard let start = (partition["start"] as? NSNumber)?.int64Value, start >= 0 else { continue }
            let (offset, overflow) = start.multipliedReportingOverflow(by: sectorSize)
            guard !overflow, offset < fileSize, let header = try headerSize(handle, at: offset, fileSize: fileSize) else { continue }
            found.append(Container(name: partition["name"] as? String ?? "partition \(index + 1)", offset: offset, headerSize: header))
        }
        return found
    }

    /// Calls `body` with each container's header as a LUKS2 file and writes what it changed
    /// back into the disk; returns the containers' names. A whole-file container is passed
    /// as the disk itself.
    @discardableResult
    public static func forEachHeader(of disk: URL, _ body: (URL) throws -> Void) throws -> [String] {
        let containers = try find(in: disk)
        guard !containers.isEmpty else { throw DiskError.noLUKSContainer(path: disk.path) }
        for container in containers {
            if container.offset == 0 && container.name == "disk" {
                try body(disk)
                continue
            }
            let header = disk.deletingLastPathComponent().appendingPathComponent(".\(disk.lastPathComponent).\(container.name).luks-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: header) }
            try copyRange(of: disk, offset: container.offset, length: container.headerSize, to: header)
            try body(header)
            let size = ((try FileManager.default.attributesOfItem(atPath: header.path))[.size] as? NSNumber)?.int64Value ?? -1
            // The header must come back the same size: anything else would overwrite the data.
            guard size == container.headerSize else { throw DiskError.cryptsetupFailed(step: "enrol a key in \(container.name) of", output: "its header changed size (\(container.headerSize) → \(size) bytes)") }
            try DiskProvisioner.copy(header, into: disk, at: container.offset, limit: container.headerSize)
        }
        return containers.map(\.name)
    }

    /// The header size (the data segment's offset) of a LUKS2 container at `offset`, or nil
    /// when none starts there: the binary header's hdr_size bounds the JSON area, whose
    /// `segments` name the data offset; a container without segments has no data to shift.
    static func headerSize(_ handle: FileHandle, at offset: Int64, fileSize: Int64) throws -> Int64? {
        guard fileSize - offset >= 4096 else { return nil }
        try handle.seek(toOffset: UInt64(offset))
        guard let binary = try handle.read(upToCount: 4096), binary.count == 4096, Array(binary.prefix(8)) == magic else { return nil }
        let hdrSize = binary[8..<16].reduce(Int64(0)) { ($0 << 8) | Int64($1) }
        guard hdrSize > 4096, hdrSize <= 4 << 20, hdrSize <= fileSize - offset,
              let json = try handle.read(upToCount: Int(hdrSize - 4096)) else { return nil }
        let text = json.prefix { $0 != 0 }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any],
              let segments = object["segments"] as? [String: Any] else { return nil }
        let offsets = segments.values.compactMap { ($0 as? [String: Any])?["offset"] as? String }.compactMap { Int64($0) }
        guard let dataOffset = offsets.min(), dataOffset >= hdrSize, dataOffset <= fileSize - offset else { return nil }
        return dataOffset
    }

    static func copyRange(of file: URL, offset: Int64, length: Int64, to output: URL) throws {
        let input = try FileHandle(forReadingFrom: file)
        defer { try? input.close() }
        try input.seek(toOffset: UInt64(offset))
        FileManager.default.createFile(atPath: output.path, contents: nil)
        let out = try FileHandle(forWritingTo: output)
        defer { try? out.close() }
        var left = length
        while left > 0, let chunk = try input.read(upToCount: Int(min(left, 4 << 20))), !chunk.isEmpty {
            try out.write(contentsOf: chunk)
            left -= Int64(chunk.count)
        }
    }
}
