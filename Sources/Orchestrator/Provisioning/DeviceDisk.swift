import Foundation
import Support

/// The disk `ownerboot disk` makes for a board, and making it whole or not at all. A board with
/// a verity OS (board.toml `[os]` and the UUIDs of slot B and the state) gets the GPT layout:
/// root slots A and B (LUKS2, OS image + verity hash tree) and the state (LUKS2, ext4); any
/// other board one LUKS2 container holding its OS image. The disk is made and its tokens bound
/// under a partial name beside the output, which takes the output's name only when all of it
/// worked: a failed bind leaves no disk that looks done.
public struct DeviceDisk: Sendable, Equatable {
    public var board: String
    /// The GPT layout's slot B and state, for a verity OS; nil: a plain LUKS2 disk.
    public var verityLayout: DiskProvisioner.VerityLayout?
    /// The LUKS UUID the board's unlocker looks for.
    public var luksUUID: String?
    /// Tests only: a fixed, small Argon2 time cost instead of cryptsetup's benchmark.
    public var pbkdfIterations: Int?

    public init(board: Board) {
        self.board = board.name
        self.luksUUID = board.rootUUID
        if board.os != nil, let slotB = board.slotBUUID, let state = board.stateUUID {
            verityLayout = DiskProvisioner.VerityLayout(slotBUUID: slotB, stateUUID: state)
        }
    }

    /// The disk has the verity OS's GPT layout.
    public var isVerity: Bool { verityLayout != nil }

    /// The OS image of the last build, as `ownerboot build` links it into the folder it runs in.
    public var defaultOSImage: String { "result/\(board)/os/" + (isVerity ? "os.img" : "os.ext4") }

    /// The ROM of the last build, whose predicted PCRs TPM2 tokens are sealed to.
    public var defaultROM: String { "result/\(board)/rom/\(board).rom" }

    /// What the disk at `output` is, said when it is written.
    public func written(_ output: String) -> String {
        isVerity ? "wrote \(output): GPT disk of \(board): root slots A and B (LUKS2, OS image + verity hash tree), state (LUKS2, ext4)"
            : "wrote \(output): LUKS2-encrypted \(board) OS disk"
    }

    /// Makes the disk at `output` from `osImage`, encrypted with the passphrase in
    /// `passphraseFile` (and `keyFile` as a second key slot), then binds what `enrolment`
    /// returns (asked only once the disk is made) with the TPM `tcti`. `progress` hears the
    /// encryption, `provisioned` is called when it is done, `bound` hears each token.
    public func make(
        output: URL, osImage: URL, passphraseFile: URL, luksUUID: String? = nil, keyFile: URL? = nil,
        enrolment: () throws -> ClevisEnrolment, tcti: String,
        progress: ProgressSink? = nil, provisioned: () -> Void = {}, bound: (ClevisEnrolment.Bound) -> Void = { _ in }
    ) throws {
        let disk = output.deletingLastPathComponent().appendingPathComponent(".\(output.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: disk) }
        var request = DiskProvisioner.Request(
            osImage: osImage, passphraseFile: passphraseFile,
            output: disk, luksUUID: luksUUID ?? self.luksUUID, keyFile: keyFile)
        request.verityLayout = verityLayout
        request.pbkdfIterations = pbkdfIterations
        try DiskProvisioner().provision(request, progress: progress)
        provisioned()
        // The passphrase authorises each new key slot, as for cryptsetup: read, never stored.
        try enrolment().bind(disk: disk, passphrase: {
            let data = try Data(contentsOf: passphraseFile)
            return data.last == 10 ? data.dropLast() : data
        }, tcti: tcti, bound: bound)
        guard rename(disk.path, output.path) == 0 else { throw DiskError.cryptsetupFailed(step: "name", output: "could not rename \(disk.path) to \(output.relativePath): \(String(cString: strerror(errno)))") }
    }
}
