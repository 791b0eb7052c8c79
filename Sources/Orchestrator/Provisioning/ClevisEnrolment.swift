import Boot
import Foundation

/// Which Clevis tokens a device's disk gets, and binding them: the one token policy of
/// `ownerboot disk` (`--tang`, `--tpm2`, `--threshold`), the test scenarios' enrolment and
/// `ownerboot vm`'s disk. A tang token names its server; a TPM2 token is sealed to the PCR 2
/// predicted for one boot path of a ROM (Clevis's tpm2 pin seals to one PCR digest, with no
/// PolicyOR, so a ROM with a fallback and a normal path gets one token per path), tagged with
/// the ROM's generation and the path so the unlocker can retire older ROMs' tokens. With a
/// threshold all of them become one sss token that needs that many. Every token goes into
/// every LUKS2 container of the disk (on a GPT disk: both root slots and the state), so an
/// unattended boot needs no passphrase for any of them.
public struct ClevisEnrolment: Sendable, Equatable {
    /// One token to bind.
    public enum Token: Sendable, Equatable {
        /// A tang server: `url` as the device reaches it at boot; `advertisement` its signed
        /// advertisement (a JWS file; nil: clevis fetches and trusts it).
        case tang(url: String, advertisement: URL?)
        /// The TPM2 pin sealed to `policy`; `tag` is written beside it in the LUKS2 token;
        /// `sealedTo` says what the policy is (the PCR and the boot path of which ROM).
        case tpm2(ClevisBinder.TPM2Policy, tag: ClevisTokenTag?, sealedTo: String)

        /// The Clevis pin that binds it (the tag is not part of the pin).
        public var pin: ClevisPin {
            switch self {
            case .tang(let url, let advertisement): return .tang(url: url, advertisement: advertisement)
            case .tpm2(let policy, _, _): return .tpm2(policy)
            }
        }
    }

    /// One binding done: what it was and the containers that got it, said as a line.
    public struct Bound: Sendable, Equatable, CustomStringConvertible {
        public var description: String
        /// The LUKS2 containers that got the token (LUKSContainers' names).
        public var containers: [String]
    }

    public var tokens: [Token]
    /// nil: each token is bound on its own; n: the tokens are one sss token that needs n of them.
    public var threshold: Int?

    public init(tokens: [Token] = [], threshold: Int? = nil) {
        self.tokens = tokens
        self.threshold = threshold
    }

    /// A `--threshold` that cannot work with the tokens asked for (`--tang`, `--tpm2`), refused
    /// before the disk is written; nil when it is fine or not given. `--tpm2` counts once here:
    /// it may add a token per boot path, which only widens the range.
    public static func thresholdError(_ threshold: Int?, tang: Bool, tpm2: Bool) -> DiskError? {
        guard let threshold else { return nil }
        let pins = (tang ? 1 : 0) + (tpm2 ? 1 : 0)
        return threshold >= 1 && threshold <= pins ? nil : DiskError.badThreshold(threshold: threshold, pins: pins)
    }

    /// Refuses TPM2 tokens on a board whose TPM (board.toml `tpm`) is not a TPM 2.0: the x230's
    /// TPM 1.2 and the hp-abm's none cannot seal.
    public static func checkTPM2(board: Board) throws {
        if let family = board.tpm, family != "2.0" { throw DiskError.noTPM2(board: board.name, tpm: family) }
    }

    /// The TPM2 tokens for `image` (the ROM at `romPath`, named in `sealedTo`): one per boot path
    /// in `paths` (nil: every path the ROM has, fallback then normal), each sealed to that path's
    /// predicted PCR 2 (SHA-256 bank); `tagged`: each carries the ROM's generation (from its
    /// manifest, none without one) and the path's name.
    public static func tpm2Tokens(image: [UInt8], romPath: String, paths: [PCRPrediction.BootPath]? = nil, tagged: Bool = true) throws -> [Token] {
        let generation = tagged ? try ImageInspector.inspect(image, hashing: false, predictingPCRs: false).manifest?.generation : nil
        return try (paths ?? PCRPrediction.bootPaths(in: image)).map { path in
            let prediction = try PCRPrediction.predict(image: image, path: path)
            return .tpm2(ClevisBinder.TPM2Policy(pcrs: [2: prediction.value(ofPCR: 2)]),
                         tag: generation.map { ClevisTokenTag(generation: $0, path: path.name) },
                         sealedTo: "PCR 2 = \(prediction.value(ofPCR: 2)) (boot path \(prediction.bootPath) of \(romPath))")
        }
    }

    /// What `ownerboot disk` binds: a tang token for `tang` (with `tangAdvertisement`), and with
    /// `tpm2ROM` (its bytes and path) the TPM2 tokens of every boot path of that ROM, tagged
    /// with its generation.
    public static func forDisk(tang: String?, tangAdvertisement: URL?, tpm2ROM: (image: [UInt8], path: String)?, threshold: Int?) throws -> ClevisEnrolment {
        var tokens: [Token] = []
        if let tang { tokens.append(.tang(url: tang, advertisement: tangAdvertisement)) }
        if let tpm2ROM { tokens += try tpm2Tokens(image: tpm2ROM.image, romPath: tpm2ROM.path) }
        return ClevisEnrolment(tokens: tokens, threshold: threshold)
    }

    /// Binds the tokens into every LUKS2 container of `disk`; `passphrase` authorises each new
    /// key slot (asked for each container, never stored); `tcti` is the TPM that seals, in
    /// tpm2-tss syntax. `bound` hears each binding as it is done. Nothing when there are no tokens.
    public func bind(disk: URL, passphrase: () throws -> Data, tcti: String, binder: ClevisBinder = ClevisBinder(), bound: (Bound) -> Void = { _ in }) throws {
        guard !tokens.isEmpty else { return }
        if let threshold {
            let pins = tokens.map(\.pin)
            let sealedTo = tokens.compactMap { token -> String? in if case .tpm2(_, _, let sealedTo) = token { return sealedTo } else { return nil } }
            let names = try LUKSContainers.forEachHeader(of: disk) { header in
                try binder.bindSSS(disk: header, passphrase: try passphrase(), threshold: threshold, pins: pins, tcti: tcti)
            }
            bound(Bound(description: "bound a Clevis sss token: \(threshold) of \(pins.map(\.name).joined(separator: ", "))" + (sealedTo.isEmpty ? "" : "; tpm2 sealed to " + sealedTo.joined(separator: ", ")) + " in \(names.joined(separator: ", "))", containers: names))
            return
        }
        for token in tokens {
            switch token {
            case .tang(let url, let advertisement):
                let names = try LUKSContainers.forEachHeader(of: disk) { header in
                    try binder.bindTang(disk: header, passphrase: try passphrase(), url: url, advertisement: advertisement)
                }
                bound(Bound(description: "bound a Clevis tang token for \(url) in \(names.joined(separator: ", "))", containers: names))
            case .tpm2(let policy, let tag, let sealedTo):
                let names = try LUKSContainers.forEachHeader(of: disk) { header in
                    try binder.bindTPM2(disk: header, passphrase: try passphrase(), policy: policy, tcti: tcti, tag: tag)
                }
                bound(Bound(description: "bound a Clevis TPM2 token to " + sealedTo + " in \(names.joined(separator: ", "))", containers: names))
            }
        }
    }
}
