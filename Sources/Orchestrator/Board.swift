import Foundation

/// A board as its `board.toml` describes it: the flash chip, the write-protect policy and
/// (added by later layers) the layout, components and test scenarios. Plain data.
public struct Board: Sendable, Codable, Equatable {
    public var name: String
    public var description: String
    public var arch: String
    public var chip: ChipSpec
    public var writeProtect: WriteProtectSpec?
    public var buildEnvironment: BuildEnvironmentSpec?
    public var sources: [SourceSpec]
    /// In the order the board file lists them.
    public var components: [ComponentSpec]
    /// The LUKS UUID of the encrypted root the board's unlocker looks for.
    public var rootUUID: String?
    /// The folder holding `board.toml` and the files it names.
    public var directory: URL

    public init(name: String, description: String, arch: String, chip: ChipSpec, writeProtect: WriteProtectSpec?, buildEnvironment: BuildEnvironmentSpec? = nil, sources: [SourceSpec] = [], components: [ComponentSpec] = [], rootUUID: String? = nil, directory: URL) {
        self.name = name
        self.description = description
        self.arch = arch
        self.chip = chip
        self.writeProtect = writeProtect
        self.buildEnvironment = buildEnvironment
        self.sources = sources
        self.components = components
        self.rootUUID = rootUUID
        self.directory = directory
    }

    /// The lock file beside the board file.
    public var lockFile: URL { directory.appendingPathComponent("ownerboot.lock") }
}

/// The SPI flash chip a board carries.
public struct ChipSpec: Sendable, Codable, Equatable {
    /// flashrom's name for the chip (e.g. "W25Q128.V").
    public var name: String
    public var sizeBytes: Int
    /// The flashrom programmer string that reaches it by default.
    public var programmer: String?
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
