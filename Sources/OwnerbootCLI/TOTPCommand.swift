import ArgumentParser
import Foundation
import Orchestrator

/// `ownerboot totp …`: a code the owner checks before typing the passphrase (TPM 2.0 boards).
struct TOTPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "totp",
        abstract: "A TOTP code the unlocker shows before the passphrase prompt, which only the firmware it was sealed to can show.",
        subcommands: [Enroll.self])

    /// `ownerboot totp enroll`: a new secret (or the owner's, `--secret-stdin`) sealed into the disk.
    struct Enroll: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "enroll",
            abstract: "Make a TOTP secret, seal it to each boot path's predicted PCR 2 into the disk's LUKS2 header, and show it once (otpauth:// URI and QR code).",
            discussion: """
                The unlocker has the TPM unseal the secret before it asks for the passphrase and shows the current code \
                (RFC 6238: SHA1, 6 digits, 30 s); compare it with your authenticator before typing. A firmware whose PCR 2 \
                differs (a replaced normal half) cannot show it: the unlocker says so instead. A new generation: seal the \
                same secret for its ROM before flashing it, `--secret-stdin --rom NEW.rom` with the URI on standard input.
                """)

        @OptionGroup var global: GlobalOptions
        @OptionGroup var boardOption: BoardOption<BoardHelp.Default>
        @Option(help: "The device's LUKS2 disk: the image `ownerboot disk` wrote, or on the running device its root's LUKS2 partition.") var disk: String
        @Option(help: "A ROM whose predicted PCR 2 (each boot path) the secret is sealed to; repeat for several (default: result/<board>/rom/<board>.rom).") var rom: [String] = []
        @Option(help: "The TPM that seals, in tpm2-tss syntax (default: device:/dev/tpmrm0, on the device itself).") var tcti = "device:/dev/tpmrm0"
        @Option(help: "The account name the authenticator shows (default: the board's name).") var account: String?
        @Flag(help: "Replace the disk's TOTP secret with a new one (the old codes stop working).") var replace = false
        @Flag(help: "Seal the secret you already have (its otpauth:// URI or base32, on standard input) for --rom, beside the tokens already there; nothing is shown.") var secretStdin = false
        @Flag(help: "Print JSON (with the otpauth:// URI of a new secret; no QR code).") var json = false

        func run() throws {
            global.bootstrapLogging()
            let board = try boardOption.load(global: global)
            // Refused before a secret is made: the x230's TPM 1.2 and the hp-abm's none cannot seal.
            if let family = board.tpm, family != "2.0" { throw TOTPError.noTPM2(board: board.name, tpm: family) }
            let roms = rom.isEmpty ? [DeviceDisk(board: board).defaultROM] : rom
            let enrolment = try TOTPEnrolment.forROMs(try roms.map { (try ImageFile.read($0), $0) })
            let totp: TOTP
            if secretStdin {
                guard let given = TOTP(parsing: String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)) else { throw TOTPError.badSecret }
                totp = given
            } else {
                totp = TOTP.random()
            }
            let uri = totp.uri(account: account ?? board.name)
            // Drawn before anything is sealed: without qrencode nothing is written.
            let qr = secretStdin || json ? nil : try TOTPEnrolment.qrCode(uri)
            let enrolled = try enrolment.enrol(totp, disk: URL(fileURLWithPath: disk), tcti: tcti, replace: replace, add: secretStdin)
            if json {
                try JSONOutput.print(Result(enrolled: enrolled, uri: secretStdin ? nil : uri))
                return
            }
            if enrolled.removed > 0 { print("removed \(enrolled.removed) ownerboot-totp token(s) of the old secret") }
            for line in enrolled.sealedTo { print("sealed the TOTP secret to \(line) in \(enrolled.containers.joined(separator: ", "))") }
            for line in enrolled.alreadySealed { print("already sealed to \(line): kept") }
            guard let qr else { return print("the unlocker shows the same codes as before on the firmware(s) above") }
            print("""

                Add this secret to your authenticator now: it is shown this once, and ownerboot keeps no copy.
                Keep the URI somewhere safe (a password manager) to seal it for the next generation's ROM
                (`ownerboot totp enroll --secret-stdin --rom NEW.rom`) without scanning again.

                """)
            print(qr)
            print(uri)
            print("""

                At boot the unlocker shows "ownerboot: TOTP code NNNNNN" before the passphrase prompt: type
                your passphrase only when it equals your authenticator's code.
                """)
        }

        /// `--json`'s output.
        struct Result: Encodable {
            var enrolled: TOTPEnrolment.Enrolled
            var uri: String?
        }
    }
}
