import Foundation

/// What ownerboot adds to a TPM2 token it enrols: the generation of the ROM whose predicted
/// PCRs the token is sealed to, the boot path, and, once bound, the key slot the token opens and
/// a MAC over those and the slot's salt keyed from the container's volume key
/// (`RootBoundKeys.tagMAC`). It is one extra member of the LUKS2 token's JSON
/// (`"ownerboot":{"generation":11,"path":"normal","slot":1,"mac":"…"}`), which cryptsetup keeps and
/// Clevis ignores (`clevis luks list`/`pass` read only `jwe` and `keyslots`). LUKS2 token JSON is
/// not authenticated: the unlocker retires the tokens (and key slots) of older ROMs only when
/// their tag's MAC is right. `srk`: the name of the TPM's storage key the token was sealed
/// under, which ob-unlock requires before it sends the session salt.
public struct ClevisTokenTag: Sendable, Equatable {
    /// The JSON member's name.
    public static let member = "ownerboot"

    public var generation: Int
    public var path: String
    public var slot: Int?
    public var mac: String?
    public var srk: String?

    public init(generation: Int, path: String, slot: Int? = nil, mac: String? = nil, srk: String? = nil) {
        self.generation = generation
        self.path = path
        self.slot = slot
        self.mac = mac
        self.srk = srk
    }

    /// This tag bound to key slot `slot` (whose salt `salt` is) of the container whose volume key
    /// this is.
    public func authenticated(slot: Int, salt: String, volumeKey: [UInt8]) -> ClevisTokenTag {
        var tag = self
        tag.slot = slot
        tag.mac = RootBoundKeys.tagMAC(volumeKey: volumeKey, generation: generation, path: path, slot: slot, salt: salt)
        return tag
    }

    var json: [String: Any] {
        var object: [String: Any] = ["generation": generation, "path": path]
        if let slot { object["slot"] = slot }
        if let mac { object["mac"] = mac }
        if let srk { object["srk"] = srk }
        return object
    }
}
