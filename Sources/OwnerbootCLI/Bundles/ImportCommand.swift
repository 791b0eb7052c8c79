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
        let importer = BundleImporter(store: try Store(), verifier: Self.verifier(allowUnsigned: allowUnsigned, quiet: json))
        let summary = try importer.importBundle(at: URL(fileURLWithPath: bundle), progress: ProgressLines.sink(quiet: json))
        if json { return try JSONOutput.print(summary) }
        print(String(format: "imported %@ generation %d (set %@): %d entries installed, %d already present, %@, %.1f s", summary.board, summary.generation,
                     String(summary.setHash.prefix(16)), summary.installed.count, summary.alreadyPresent.count, ByteCount.mebibytes(summary.bytes), summary.seconds))
        print("rebuild: ownerboot build board=\(summary.board) --generation \(summary.generation) --expect \(summary.setHash)")
    }

    /// Until the owner's key is wired in, no signature can be checked here: a bundle is
    /// refused unless `--allow-unsigned` says to take it without one.
    static func verifier(allowUnsigned: Bool, quiet: Bool) -> BundleImporter.Verifier {
        { _, signature in
            guard allowUnsigned else { throw SignaturePolicy(signed: signature != nil) }
            if !quiet { FileHandle.standardError.write(Data("warning: the bundle's signature was not checked (--allow-unsigned)\n".utf8)) }
        }
    }

    struct SignaturePolicy: UserFacingError {
        var signed: Bool
        var message: String { signed ? "this ownerboot cannot check the bundle's signature yet" : "the bundle is not signed" }
        var fix: String? { "add --allow-unsigned to import it without a checked signature, if you got it from its owner by a path you trust" }
    }
}
