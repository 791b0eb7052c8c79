import Foundation

/// What ownerboot adds to a TPM2 token it enrols: the generation of the ROM whose predicted
/// PCRs the token is sealed to, and the boot path. It is one extra member of the LUKS2 token's
/// JSON (`"ownerboot":{"generation":11,"path":"normal"}`), which cryptsetup keeps and Clevis
/// ignores (`clevis luks list`/`pass` read only `jwe` and `keyslots`). The unlocker uses it to
/// retire the tokens of older ROMs once a newer one has unlocked the disk by itself.
public struct ClevisTokenTag: Sendable, Equatable {
    /// The JSON member's name.
    public static let member = "ownerboot"

    public var generation: Int
    public var path: String

    public init(generation: Int, path: String) {
        self.generation = generation
        self.path = path
    }

    var json: [String: Any] { ["generation": generation, "path": path] }
}
