import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot key generate|show|trust`: the owner's signing key and the keys the owner trusts.
/// Only public keys and key ids are ever printed; the secret key stays in its 0600 file.
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "The owner's Ed25519 signing key (minisign format) and trusted public keys.",
        subcommands: [Generate.self, Show.self, Trust.self])

    /// What `--json` prints for a key: never the secret half.
    struct KeyInfo: Encodable {
        var keyID: String
        var publicKey: String
        var publicKeyFile: String
        var secretKeyFile: String?
        var trusted: [String]?
    }

    static var home: URL { OwnerbootHome.url() }

    static func keyURL(_ option: String?) -> URL {
        option.map { URL(fileURLWithPath: $0) } ?? OwnerKey.defaultURL(home: home)
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make the owner's key (refuses to replace one).")
        @Option(help: "Where to write the secret key (default: $OWNERBOOT_HOME/keys/owner.key).") var key: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let key = try OwnerKey.generate(at: KeyCommand.keyURL(self.key))
            let pub = OwnerKey.publicKeyURL(for: key.url)
            if json {
                return try JSONOutput.print(KeyInfo(keyID: key.publicKey.keyIDHex, publicKey: key.publicKey.base64, publicKeyFile: pub.path, secretKeyFile: key.url.path))
            }
            print("owner key \(key.publicKey.keyIDHex)")
            print("  secret key: \(key.url.path) (mode 0600, no passphrase: keep it on an encrypted disk)")
            print("  public key: \(pub.path)")
            print("  verify with: minisign -V -p \(pub.path) -m FILE")
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the owner's public key and the trusted keys.")
        @Option(help: "The secret key file (default: $OWNERBOOT_HOME/keys/owner.key).") var key: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let owner = try OwnerKey.load(from: KeyCommand.keyURL(self.key))
            let trusted = try TrustedKeys.load(home: KeyCommand.home, ownerKey: owner.url)
            let pub = OwnerKey.publicKeyURL(for: owner.url)
            if json {
                return try JSONOutput.print(KeyInfo(keyID: owner.publicKey.keyIDHex, publicKey: owner.publicKey.base64, publicKeyFile: pub.path,
                                                    secretKeyFile: owner.url.path, trusted: trusted.entries.map { "\($0.key.keyIDHex) \($0.source)" }))
            }
            print(owner.publicKey.fileText, terminator: "")
            print("trusted keys:")
            for entry in trusted.entries { print("  \(entry.key.keyIDHex)\t\(entry.source)") }
        }
    }

    struct Trust: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Trust a minisign public key file (copied to $OWNERBOOT_HOME/trusted-keys).")
        @Argument(help: "A minisign .pub file.") var file: String

        func run() throws {
            let key = try TrustedKeys.trust(file: URL(fileURLWithPath: file), home: KeyCommand.home)
            print("trusted key \(key.keyIDHex): \(TrustedKeys.directory(home: KeyCommand.home).appendingPathComponent("\(key.keyIDHex).pub").path)")
        }
    }
}
