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
    /// The Debian system the board's `os` component builds (`[os]`), nil for boards whose OS
    /// is made otherwise.
    public var os: OSSpec?
    /// A verity OS's disk (`ownerboot disk` lays out a GPT): the LUKS UUIDs of root slot B and
    /// of the writable state partition (slot A's is `rootUUID`).
    public var slotBUUID: String?
    public var stateUUID: String?
    /// The folder holding `board.toml` and the files it names.
    public var directory: URL
    /// What the board's flash protection covers and what it leaves open, in a sentence
    /// (`[board] protection`), for `ownerboot boards`.
    public var protection: String? = nil
    /// A range the board's firmware locks through the chipset (`[chipset_protect]`): the X230's
    /// PCH PR0 + FLOCKDN. Separate from `writeProtect` (the chip's own status register + WP#).
    public var chipsetProtect: ChipsetProtectSpec? = nil
    /// Where the board's fallback set lives, or why it has none (`[board] fallback`).
    public var fallback: String? = nil

    /// The board's TPM (`[board] tpm`): "2.0", "1.2" or "none". Only a TPM 2.0 can hold a
    /// Clevis tpm2 key (coreboot extends the SHA-256 bank it is sealed to); nil: not stated.
    public var tpm: String? = nil

    /// Where the names of builders and inputs are found after the board's own folder (the
    /// owner's recipe folders, then ownerboot's); `.none` for a board read from a snapshot.
    public var layers: RecipeLayers = .none
    /// The profiles the board includes, nearest first (`[board] profile`, then what it extends).
    public var profiles: [ResolvedFile] = []

    /// How the unlocker can open the disk on this board, the passphrase always last.
    public var unlockMethods: [String] {
        (tpm == "2.0" ? ["tpm2", "tang", "sss (thresholds of tpm2 and tang)"] : ["tang"]) + ["passphrase"]
    }

    public init(name: String, description: String, arch: String, chips: [ChipSpec], descriptor: DescriptorSpec? = nil, writeProtect: WriteProtectSpec?, buildEnvironment: BuildEnvironmentSpec? = nil, sources: [SourceSpec] = [], components: [ComponentSpec] = [], rootUUID: String? = nil, os: OSSpec? = nil, slotBUUID: String? = nil, stateUUID: String? = nil, directory: URL, protection: String? = nil) {
        precondition(!chips.isEmpty, "a board has at least one chip")
        self.name = name
        self.protection = protection
        self.description = description
        self.arch = arch
        self.chips = chips
        self.descriptor = descriptor
        self.writeProtect = writeProtect
        self.buildEnvironment = buildEnvironment
        self.sources = sources
        self.components = components
        self.rootUUID = rootUUID
        self.os = os
        self.slotBUUID = slotBUUID
        self.stateUUID = stateUUID
        self.directory = directory
    }

    public init(name: String, description: String, arch: String, chip: ChipSpec, writeProtect: WriteProtectSpec?, buildEnvironment: BuildEnvironmentSpec? = nil, sources: [SourceSpec] = [], components: [ComponentSpec] = [], rootUUID: String? = nil, directory: URL) {
        self.init(name: name, description: description, arch: arch, chips: [chip], writeProtect: writeProtect, buildEnvironment: buildEnvironment, sources: sources, components: components, rootUUID: rootUUID, directory: directory)
    }

    /// The first chip: the only one on most boards, the one holding the descriptor on others.
    public var chip: ChipSpec { chips[0] }

    /// The size of the flash address space the ROM fills (all chips).
    public var flashSize: Int { chips.map { $0.offset + $0.sizeBytes }.max() ?? 0 }

    /// Where a builder or input named `name` comes from: the board's folder, else the first
    /// recipe layer holding it.
    public func resolve(_ name: String) -> ResolvedFile? {
        layers.find(name, boardDirectory: directory)
    }

    /// The file a builder or input name stands for, or a `BoardError` naming where it was looked for.
    public func file(_ name: String) throws -> URL {
        guard let found = resolve(name) else {
            throw BoardError.missingFile(file: directory.appendingPathComponent("board.toml").path, line: nil, key: "a builder or input", path: name)
        }
        return found.url
    }

    /// The lock file beside the board file.
    public var lockFile: URL { directory.appendingPathComponent("ownerboot.lock") }
}
