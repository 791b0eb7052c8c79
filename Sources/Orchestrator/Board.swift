import Foundation

/// A board as its `board.toml` describes it: the flash chip, the write-protect policy and
/// (added by later layers) the layout, components and test scenarios. Plain data.
public struct Board: Sendable, Codable, Equatable {
    public var name: String
    public var description: String
    public var arch: String
    /// The flash chips, in flash-address order: one for most boards, two for an X230.
    public var chips: [ChipSpec]
    /// Set when the flash starts with an Intel flash descriptor whose other regions are the owner's.
    public var descriptor: DescriptorSpec?
    public var writeProtect: WriteProtectSpec?
    public var buildEnvironment: BuildEnvironmentSpec?
    public var sources: [SourceSpec]
    /// In the order the board file lists them.
    public var components: [ComponentSpec]
    /// The LUKS UUID of the encrypted root the board's unlocker looks for.
    public var rootUUID: String?
    /// The folder holding `board.toml` and the files it names.
    public var directory: URL

    public init(name: String, description: String, arch: String, chips: [ChipSpec], descriptor: DescriptorSpec? = nil, writeProtect: WriteProtectSpec?, buildEnvironment: BuildEnvironmentSpec? = nil, sources: [SourceSpec] = [], components: [ComponentSpec] = [], rootUUID: String? = nil, directory: URL) {
        precondition(!chips.isEmpty, "a board has at least one chip")
        self.name = name
        self.description = description
        self.arch = arch
        self.chips = chips
        self.descriptor = descriptor
        self.writeProtect = writeProtect
        self.buildEnvironment = buildEnvironment
        self.sources = sources
        self.components = components
        self.rootUUID = rootUUID
        self.directory = directory
    }

    public init(name: String, description: String, arch: String, chip: ChipSpec, writeProtect: WriteProtectSpec?, buildEnvironment: BuildEnvironmentSpec? = nil, sources: [SourceSpec] = [], components: [ComponentSpec] = [], rootUUID: String? = nil, directory: URL) {
        self.init(name: name, description: description, arch: arch, chips: [chip], writeProtect: writeProtect, buildEnvironment: buildEnvironment, sources: sources, components: components, rootUUID: rootUUID, directory: directory)
    }

    /// The first chip: the only one on most boards, the one holding the descriptor on others.
    public var chip: ChipSpec { chips[0] }

    /// The size of the flash address space the ROM fills (all chips).
    public var flashSize: Int { chips.map { $0.offset + $0.sizeBytes }.max() ?? 0 }

    /// The lock file beside the board file.
    public var lockFile: URL { directory.appendingPathComponent("ownerboot.lock") }
}

/// One SPI flash chip a board carries.
public struct ChipSpec: Sendable, Codable, Equatable {
    /// flashrom's name for the chip (e.g. "W25Q128.V").
    public var name: String
    public var sizeBytes: Int
    /// The flashrom programmer string that reaches it by default.
    public var programmer: String?
    /// What `--chip` calls it on a board with several ("bottom", "top"); "chip" otherwise.
    public var label: String = "chip"
    /// Other parts the board ships with in its place (flashrom names), probed after `name`.
    public var models: [String] = []
    /// Where the chip's first byte lies in the ROM (the flash address space).
    public var offset: Int = 0
    /// How to reach it with a clip: where it is, its voltage, what to disconnect.
    public var access: String? = nil

    public init(name: String, sizeBytes: Int, programmer: String? = nil, label: String = "chip", models: [String] = [], offset: Int = 0, access: String? = nil) {
        self.name = name
        self.sizeBytes = sizeBytes
        self.programmer = programmer
        self.label = label
        self.models = models
        self.offset = offset
        self.access = access
    }

    /// The chip's range in the ROM.
    public var window: Range<Int> { offset..<(offset + sizeBytes) }
}

/// The Intel flash descriptor a board's flash starts with: ownerboot builds only the regions
/// in `writeRegions` (the BIOS region) and keeps the others (descriptor, ME, GbE) as they are
/// on the owner's chip.
public struct DescriptorSpec: Sendable, Codable, Equatable {
    /// ifdtool's short names: "bios" (and, deliberately, others).
    public var writeRegions: [String]
    /// The BIOS region the ROM is built for (coreboot.config's CBFS_SIZE), in the flash.
    public var biosStart: Int
    public var biosLength: Int

    public init(writeRegions: [String], biosStart: Int, biosLength: Int) {
        self.writeRegions = writeRegions
        self.biosStart = biosStart
        self.biosLength = biosLength
    }
}

/// Which range of the chip the owner keeps write-protected, and how.
public struct WriteProtectSpec: Sendable, Codable, Equatable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case hardware, software, permanent, none
    }
    public var start: Int
    public var length: Int
    public var mode: Mode
}

/// The build environment a board's components build in: a Debian root file system made
/// from pinned packages (the lock file pins the whole closure, name = version).
public struct BuildEnvironmentSpec: Sendable, Codable, Equatable {
    public var suite: String
    public var mirror: String
    public var variant: String
    /// The packages asked for; their closure is pinned in the lock.
    public var packages: [String]
    /// SOURCE_DATE_EPOCH for every build of the board.
    public var sourceDateEpoch: Int
}

/// A fixed-output source: named by what it is, pinned by the hashes in the lock.
public struct SourceSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `apt-get source --download-only PACKAGE=VERSION`: the .dsc and its tarballs.
        case debianSource = "debian-source"
        /// `apt-get download PACKAGE=VERSION`: one .deb.
        case debianBinary = "debian-binary"
    }
    public var name: String
    public var kind: Kind
    public var package: String
    public var version: String
}

/// One component of the board's set: a builder script and what it reads.
public struct ComponentSpec: Sendable, Codable, Equatable {
    public var name: String
    /// The builder script, relative to the board folder.
    public var builder: String
    /// Source names, other components' names, or files of the board folder.
    public var inputs: [String]
    public var env: [String: String]
    /// Pack a staged folder of the output into an initramfs with ownerboot's cpio writer.
    public var pack: PackSpec?
}
