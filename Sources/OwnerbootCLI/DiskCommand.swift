import ArgumentParser
import Boot
import Foundation
import Orchestrator

/// `ownerboot disk`: a device's encrypted disk from the board's OS image.
struct DiskCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disk",
        abstract: "Make a device's LUKS2-encrypted disk from the board's OS image (the passphrase never enters the store).")

    @OptionGroup var global: GlobalOptions
    @Option(help: "The board (also: board=NAME).") var board: String?
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
        if let threshold {
            // (--tpm2 counts once here; it may add a pin per boot path, which only widens the range.)
            let pins = (tang == nil ? 0 : 1) + (tpm2 ? 1 : 0)
            let error = DiskError.badThreshold(threshold: threshold, pins: pins)
            guard threshold >= 1, threshold <= pins else { throw ValidationError(error.message + ": " + (error.fix ?? "")) }
        }
    }

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        // Refused before anything is written: the x230's TPM 1.2 and the hp-abm's none cannot seal.
        if tpm2, let family = board.tpm, family != "2.0" { throw DiskError.noTPM2(board: board.name, tpm: family) }
        // A board with a verity OS gets the GPT layout: root slots A and B and the state.
        let verity = board.os != nil && board.slotBUUID != nil && board.stateUUID != nil
        let image = osImage ?? "result/\(board.name)/os/" + (verity ? "os.img" : "os.ext4")
        // The disk is made and its tokens bound under a partial name beside the output, which
        // takes its name only when all of it worked: a failed bind leaves no disk that looks done.
        let final = URL(fileURLWithPath: output)
        let disk = final.deletingLastPathComponent().appendingPathComponent(".\(final.lastPathComponent).partial-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: disk) }
        var request = DiskProvisioner.Request(
            osImage: URL(fileURLWithPath: image), passphraseFile: URL(fileURLWithPath: passphraseFile),
            output: disk, luksUUID: luksUUID ?? board.rootUUID, keyFile: keyFile.map { URL(fileURLWithPath: $0) })
        if verity, let slotB = board.slotBUUID, let state = board.stateUUID {
            request.verityLayout = DiskProvisioner.VerityLayout(slotBUUID: slotB, stateUUID: state)
        }
        let progress = ProgressRenderer.standard(json: false)
        defer { progress.finish() }
        try DiskProvisioner().provision(request, progress: progress.sink)
        progress.finish()
        try bindTokens(board: board, disk: disk)
        guard rename(disk.path, final.path) == 0 else { throw DiskError.cryptsetupFailed(step: "name", output: "could not rename \(disk.path) to \(output): \(String(cString: strerror(errno)))") }
        print(verity ? "wrote \(output): GPT disk of \(board.name): root slots A and B (LUKS2, OS image + verity hash tree), state (LUKS2, ext4)"
              : "wrote \(output): LUKS2-encrypted \(board.name) OS disk")
    }

    /// The Clevis tokens asked for (--tang, --tpm2, --threshold), in every LUKS2 container of `disk`.
    func bindTokens(board: Board, disk: URL) throws {
        // The passphrase authorises each new key slot, as for cryptsetup: read, never stored.
        func passphrase() throws -> Data {
            let data = try Data(contentsOf: URL(fileURLWithPath: passphraseFile))
            return data.last == 10 ? data.dropLast() : data
        }
        var pins: [ClevisPin] = []
        if let tang { pins.append(.tang(url: tang, advertisement: tangAdv.map { URL(fileURLWithPath: $0) })) }
        // One tpm2 pin per boot path the ROM has (fallback, normal): Clevis's tpm2 pin seals to
        // one PCR digest (no PolicyOR), and each path measures different stages.
        var sealedTo: [String] = []
        var tags: [ClevisTokenTag?] = []
        if tpm2 {
            let romPath = rom ?? "result/\(board.name)/rom/\(board.name).rom"
            let image = try ImageFile.read(romPath)
            // The ROM's generation (its manifest) tags each token, so the unlocker retires the
            // tokens of older ROMs once this one has opened the disk by itself.
            let generation = try ImageInspector.inspect(image, hashing: false, predictingPCRs: false).manifest?.generation
            for path in PCRPrediction.bootPaths(in: image) {
                let prediction = try PCRPrediction.predict(image: image, path: path)
                pins.append(.tpm2(ClevisBinder.TPM2Policy(pcrs: [2: prediction.value(ofPCR: 2)])))
                tags.append(generation.map { ClevisTokenTag(generation: $0, path: path.name) })
                sealedTo.append("PCR 2 = \(prediction.value(ofPCR: 2)) (boot path \(prediction.bootPath) of \(romPath))")
            }
        }
        // Every LUKS2 container the unlocker opens gets the tokens (on a GPT disk: both root
        // slots and the state), so an unattended boot needs no passphrase for any of them.
        guard !pins.isEmpty else { return }
        if let threshold {
            let names = try LUKSContainers.forEachHeader(of: disk) { header in
                try ClevisBinder().bindSSS(disk: header, passphrase: try passphrase(), threshold: threshold, pins: pins, tcti: tcti)
            }
            print("bound a Clevis sss token: \(threshold) of \(pins.map(\.name).joined(separator: ", "))" + (sealedTo.isEmpty ? "" : "; tpm2 sealed to " + sealedTo.joined(separator: ", ")) + " in \(names.joined(separator: ", "))")
            return
        }
        var sealed = sealedTo.makeIterator(), tagged = tags.makeIterator()
        for pin in pins {
            switch pin {
            case .tang(let url, let advertisement):
                let names = try LUKSContainers.forEachHeader(of: disk) { header in
                    try ClevisBinder().bindTang(disk: header, passphrase: try passphrase(), url: url, advertisement: advertisement)
                }
                print("bound a Clevis tang token for \(url) in \(names.joined(separator: ", "))")
            case .tpm2(let policy):
                let tag = tagged.next() ?? nil
                let names = try LUKSContainers.forEachHeader(of: disk) { header in
                    try ClevisBinder().bindTPM2(disk: header, passphrase: try passphrase(), policy: policy, tcti: tcti, tag: tag)
                }
                print("bound a Clevis TPM2 token to " + (sealed.next() ?? "PCR 2") + " in \(names.joined(separator: ", "))")
            }
        }
    }
}
