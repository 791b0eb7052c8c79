import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot disk`: a device's encrypted disk from the board's OS image.
struct DiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Make a device's LUKS2-encrypted disk from the board's OS image (the passphrase never enters the store).")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
    var board: String? { boardOption.board }
    @Option(help: "A file holding the passphrase (one line).") var passphraseFile: String
    @Option(name: .shortAndLong, help: "The disk image to write.") var output: String
    @Option(help: "The OS image (default: result/<board>/os/os.img for a verity OS, else os.ext4, from the last build).") var osImage: String?
    @Option(help: "LUKS UUID (default: the one the board's unlocker looks for).") var luksUUID: String?
    @Option(help: "A key file to enrol as a second key slot.") var keyFile: String?
    @Flag(help: "Add Clevis TPM2 tokens sealed to the PCRs predicted for --rom (SHA-256 bank, PCR 2), one per boot path (fallback, normal).") var tpm2 = false
    @Option(help: "The ROM whose predicted PCRs the TPM2 token is sealed to (default: result/<board>/rom/<board>.rom).") var rom: String?
    @Option(help: "The TPM that seals the TPM2 token, in tpm2-tss syntax (default: device:/dev/tpmrm0, on the device itself).") var tcti = "device:/dev/tpmrm0"
    @Option(help: "Add a Clevis tang token for the tang server at this URL (as the device reaches it at boot).") var tang: String?
    @Option(help: "The tang server's advertisement (a JWS file fetched from URL/adv); without it clevis fetches and trusts it.") var tangAdv: String?
    @Option(help: "Bind --tang and --tpm2 as one Clevis sss token that needs this many of them (e.g. 2: tang and the TPM); without it each is a token of its own.") var threshold: Int?

    func validate() throws {
        // A bad threshold is refused before the disk is written, not after.
        if let error = ClevisEnrolment.thresholdError(threshold, tang: tang != nil, tpm2: tpm2) {
            throw ValidationError(error.message + ": " + (error.fix ?? ""))
        }
    }

    func run() throws {
        global.bootstrapLogging()
        let board = try boardOption.load(global: global)
        // Refused before anything is written.
        if tpm2 { try ClevisEnrolment.checkTPM2(board: board) }
        let disk = DeviceDisk(board: board)
        let progress = ProgressRenderer.standard(json: false)
        defer { progress.finish() }
        try disk.make(
            output: URL(fileURLWithPath: output), osImage: URL(fileURLWithPath: osImage ?? disk.defaultOSImage),
            passphraseFile: URL(fileURLWithPath: passphraseFile), luksUUID: luksUUID, keyFile: keyFile.map { URL(fileURLWithPath: $0) },
            enrolment: {
                let romPath = rom ?? disk.defaultROM
                return try ClevisEnrolment.forDisk(
                    tang: tang, tangAdvertisement: tangAdv.map { URL(fileURLWithPath: $0) },
                    tpm2ROM: tpm2 ? (try ImageFile.read(romPath), romPath) : nil, threshold: threshold)
            },
            tcti: tcti, progress: progress.sink, provisioned: { progress.finish() }, bound: { print($0) })
        print(disk.written(output))
    }
}
