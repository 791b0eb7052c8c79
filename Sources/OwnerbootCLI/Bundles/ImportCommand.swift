import ArgumentParser
import Foundation
import Orchestrator
import Support

/// `ownerboot import`: a bundle into the store, every hash (and the signature) checked first.
struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Check a bundle completely, then add its inputs and generation record to the store.")

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The bundle file (from `ownerboot export`).") var bundle: String
    @Flag(help: "Import a bundle whose signature is absent or cannot be checked here.") var allowUnsigned = false
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        global.bootstrapLogging()
        let home = OwnerbootHome.url()
        let trusted = try TrustedKeys.load(home: home)
        let importer = BundleImporter(store: try Store(), verifier: Self.verifier(trusted: trusted, allowUnsigned: allowUnsigned, quiet: json))
        let progress = ProgressRenderer.standard(json: json)
        defer { progress.finish() }
        let summary = try importer.importBundle(at: URL(fileURLWithPath: bundle), progress: progress.sink)
        progress.finish()
        if json { return try JSONOutput.print(summary) }
        print(String(format: "imported %@ generation %d (set %@): %d entries installed, %d already present, %@, %.1f s", summary.board, summary.generation,
                     String(summary.setHash.prefix(16)), summary.installed.count, summary.alreadyPresent.count, ByteCount.mebibytes(summary.bytes), summary.seconds))
        print("rebuild: ownerboot build board=\(summary.board) --generation \(summary.generation) --expect \(summary.setHash)")
    }

    /// The manifest's signature must come from a trusted key (`trusted-keys/*.pub` or the
    /// owner's own). `--allow-unsigned` lets through a bundle with no signature or one from a
    /// key not trusted here, never a signature that does not match: that means changed bytes.
    static func verifier(trusted: TrustedKeys, allowUnsigned: Bool, quiet: Bool) -> BundleImporter.Verifier {
        { manifest, signature in
            do throws(SignatureError) {
                let key = try trusted.verify(message: manifest, signature: signature)
                if !quiet { FileHandle.standardError.write(Data("the bundle manifest is signed by trusted key \(key.keyIDHex)\n".utf8)) }
            } catch {
                switch error {
                case .unsigned, .unknownKey:
                    guard allowUnsigned else { throw error }
                    if !quiet { FileHandle.standardError.write(Data("warning: \(error.message); importing anyway (--allow-unsigned)\n".utf8)) }
                default:
                    throw error
                }
            }
        }
    }
}
