import ArgumentParser
import Boot
import Foundation
import Orchestrator
import Support

/// `ownerboot pcrs ROM [--json]`: the PCR values coreboot's measured boot will produce from
/// this ROM, per boot path, with the events that make them, before the ROM is flashed.
struct PCRsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pcrs", abstract: "Predict the TPM PCRs (SHA-256) a ROM's measured boot produces, per boot path.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The ROM or chip dump.") var file: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: ArgumentHelp("Print, per boot path, the `clevis luks bind` command that seals a TPM2 token on the running device to this ROM's predicted PCR 2 (run it there before flashing the ROM).", valueName: "LUKS-DEVICE"))
    var clevis: String?

    func run() throws {
        global.bootstrapLogging()
        let image = try ImageFile.read(file)
        let paths = PCRPrediction.bootPaths(in: image)
        guard !paths.isEmpty else { throw ValidationError("\(file) has no FMAP area COREBOOT: it is not a coreboot ROM ownerboot can predict (fix: `ownerboot inspect \(file)` shows its layout)") }
        let predictions = try paths.map { try PCRPrediction.predict(image: image, path: $0) }
        if json { try JSONOutput.print(predictions); return }
        if let clevis {
            for prediction in predictions { print(try PCRPredictionText.clevisBind(prediction, device: clevis)) }
            return
        }
        for prediction in predictions { print(PCRPredictionText.render(prediction, file: file)) }
    }
}

/// The human-readable form of a `PCRPrediction`.
enum PCRPredictionText {
    static func render(_ p: PCRPrediction, file: String) -> String {
        var lines = ["\(file): boot path \(p.bootPath), coreboot 4.15 measured boot, SHA-256 bank"]
        for event in p.events {
            lines.append("  PCR-\(event.pcr) \(event.digest) \(event.name) (\(event.size) bytes at 0x\(String(event.offset, radix: 16)))")
        }
        if !p.absent.isEmpty { lines.append("  not in the ROM, not measured: \(p.absent.joined(separator: ", "))") }
        for index in p.pcrs.keys.sorted() { lines.append("  PCR \(index) = \(p.value(ofPCR: index))") }
        lines.append("  after the unlocker's cap (PCR \(UnlockerCap.pcr) extended with \(UnlockerCap.digest), before any shell, switch_root or kexec):")
        for index in p.capped.keys.sorted() { lines.append("  PCR \(index) = \(p.cappedValue(ofPCR: index))") }
        return lines.joined(separator: "\n")
    }

    /// Enrolment from the running OS of a real device (`ClevisBinder.bindCommand`).
    static func clevisBind(_ p: PCRPrediction, device: String) throws -> String {
        let command = try ClevisBinder.bindCommand(device: device, policy: ClevisBinder.TPM2Policy(pcrs: [2: p.value(ofPCR: 2)]))
        return "# boot path \(p.bootPath): PCR 2 = \(p.value(ofPCR: 2))\n\(command)"
    }
}
