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
    @Flag(help: "Add a Clevis TPM2 token sealed to the PCRs predicted for --rom (SHA-256 bank, PCR 2).") var tpm2 = false
    @Option(help: "The ROM whose predicted PCRs the TPM2 token is sealed to (default: result/<board>/rom/<board>.rom).") var rom: String?
    @Option(help: "The TPM that seals the TPM2 token, in tpm2-tss syntax (default: device:/dev/tpmrm0, on the device itself).") var tcti = "device:/dev/tpmrm0"
    @Option(help: "Add a Clevis tang token for the tang server at this URL (as the device reaches it at boot).") var tang: String?
    @Option(help: "The tang server's advertisement (a JWS file fetched from URL/adv); without it clevis fetches and trusts it.") var tangAdv: String?

    func run() throws {
        global.bootstrapLogging()
        let board = try BoardSelection.load(board, global: global)
        // A board with a verity OS gets the GPT layout: root slots A and B and the state.
        let verity = board.os != nil && board.slotBUUID != nil && board.stateUUID != nil
        let image = osImage ?? "result/\(board.name)/os/" + (verity ? "os.img" : "os.ext4")
        var request = DiskProvisioner.Request(
            osImage: URL(fileURLWithPath: image), passphraseFile: URL(fileURLWithPath: passphraseFile),
            output: URL(fileURLWithPath: output), luksUUID: luksUUID ?? board.rootUUID, keyFile: keyFile.map { URL(fileURLWithPath: $0) })
        if verity, let slotB = board.slotBUUID, let state = board.stateUUID {
            request.verityLayout = DiskProvisioner.VerityLayout(slotBUUID: slotB, stateUUID: state)
        }
        let progress = ProgressRenderer.standard(json: false)
        defer { progress.finish() }
        try DiskProvisioner().provision(request, progress: progress.sink)
        progress.finish()
        print(verity ? "wrote \(output): GPT disk of \(board.name): root slots A and B (LUKS2, OS image + verity hash tree), state (LUKS2, ext4)"
              : "wrote \(output): LUKS2-encrypted \(board.name) OS disk")
        // The passphrase authorises each new key slot, as for cryptsetup: read, never stored.
        func passphrase() throws -> Data {
            let data = try Data(contentsOf: URL(fileURLWithPath: passphraseFile))
            return data.last == 10 ? data.dropLast() : data
        }
        // Every LUKS2 container the unlocker opens gets the token (on a GPT disk: both root
        // slots and the state), so an unattended boot needs no passphrase for any of them.
        let disk = URL(fileURLWithPath: output)
        if let tang {
            let names = try LUKSContainers.forEachHeader(of: disk) { header in
                try ClevisBinder().bindTang(disk: header, passphrase: try passphrase(), url: tang, advertisement: tangAdv.map { URL(fileURLWithPath: $0) })
            }
            print("bound a Clevis tang token for \(tang) to \(names.joined(separator: ", "))")
        }
        if tpm2 {
            let romPath = rom ?? "result/\(board.name)/rom/\(board.name).rom"
            let prediction = try PCRPrediction.predict(image: try ImageFile.read(romPath), path: .fallback)
            let policy = ClevisBinder.TPM2Policy(pcrs: [2: prediction.value(ofPCR: 2)])
            let names = try LUKSContainers.forEachHeader(of: disk) { header in
                try ClevisBinder().bindTPM2(disk: header, passphrase: try passphrase(), policy: policy, tcti: tcti)
            }
            print("bound a Clevis TPM2 token to PCR 2 = \(prediction.value(ofPCR: 2)) (boot path \(prediction.bootPath) of \(romPath)) to \(names.joined(separator: ", "))")
        }
    }
}
