import Foundation
import Support

/// The partition layout of a device disk whose OS is a dm-verity image: a GPT with fixed
/// identifiers (disk GUID and partition GUIDs derived from the root slot's LUKS UUID, so two
/// disks made for the same board have the same table) and three partitions, each LUKS2 —
/// nothing on the disk is stored unencrypted:
///
///     1  ownerboot-root-a   slot A: the OS image and its hash tree (booted)
///     2  ownerboot-root-b   slot B: the same at provisioning; an update writes the next OS here
///     3  ownerboot-state    ext4 for /var, the /etc overlay and first-boot host keys
public struct GPTDiskLayout: Sendable, Equatable {
    public struct Partition: Sendable, Equatable {
        public var name: String
        /// Offset and size in bytes (multiples of 1 MiB).
        public var offset: Int64
        public var size: Int64
        public var uuid: String
        /// The GPT partition type (Linux file system data for all three).
        public var type: String = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
    }

    public var diskUUID: String
    public var partitions: [Partition]
    /// The whole disk: the partitions plus the backup GPT at the end.
    public var size: Int64

    static let mib: Int64 = 1 << 20

    /// Slots of `slotSize` bytes each (rounded up to MiB), a state of `stateSize`.
    public init(seed: String, slotSize: Int64, stateSize: Int64) {
        func roundUp(_ value: Int64) -> Int64 { (value + Self.mib - 1) / Self.mib * Self.mib }
        diskUUID = Self.uuid(seed: seed, name: "disk")
        var offset = Self.mib
        partitions = []
        for (name, size) in [("ownerboot-root-a", roundUp(slotSize)), ("ownerboot-root-b", roundUp(slotSize)), ("ownerboot-state", roundUp(stateSize))] {
            partitions.append(Partition(name: name, offset: offset, size: size, uuid: Self.uuid(seed: seed, name: name)))
            offset += size
        }
        size = offset + Self.mib
    }

    /// A UUID (version 4 and variant bits set) from SHA-256 of the seed and a name.
    static func uuid(seed: String, name: String) -> String {
        let digest = Array(SHA256Digest.hex(Array("ownerboot-gpt \(seed) \(name)".utf8)).utf8)
        var bytes = (0..<16).map { UInt8(String(decoding: digest[($0 * 2)..<($0 * 2 + 2)], as: UTF8.self), radix: 16)! }
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02X", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    /// The `sfdisk` script that writes exactly this table.
    public var sfdiskScript: String {
        var lines = ["label: gpt", "label-id: \(diskUUID)", "unit: sectors", "first-lba: 2048", "sector-size: 512", ""]
        for partition in partitions {
            lines.append("start=\(partition.offset / 512), size=\(partition.size / 512), type=\(partition.type), uuid=\(partition.uuid), name=\"\(partition.name)\"")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
