import Crypto
import Foundation

/// The keys ownerboot derives from a root container's volume key, exactly as the unlocker's
/// `ob-unlock` does (recipes/unlocker/ob-unlock/derive.c): only someone who could open the root
/// holds that key, so what they authenticate cannot come from whoever merely writes the disk.
/// - The state's key (`statePassphrase`): a key slot of the state container that `ownerboot
///   disk` adds for each root slot; the unlocker opens the state with it and never with a token
///   of the state's own, so a state partition swapped in by an attacker is never mounted.
/// - The token tags' MAC (`tagMAC`): which key slot a Clevis token sealed for which generation
///   owns, so the unlocker retires only slots an authentic tag names.
public enum RootBoundKeys {
    static let stateLabel = "ownerboot state key v1"
    static let tagLabel = "ownerboot token tag v1"

    static func derive(_ volumeKey: [UInt8], label: String) -> SymmetricKey {
        SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(label.utf8), using: SymmetricKey(data: volumeKey))))
    }

    static func hex<D: Sequence>(_ bytes: D) -> String where D.Element == UInt8 {
        bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The state container's passphrase for a root whose volume key this is: 64 hex digits.
    public static func statePassphrase(rootVolumeKey: [UInt8]) -> Data {
        let key = derive(rootVolumeKey, label: stateLabel)
        return Data(key.withUnsafeBytes { hex($0) }.utf8)
    }

    /// The MAC of a token tag in the container whose volume key this is: over the generation,
    /// the boot path, the key slot and that slot's salt (lowercase hex), as ob-unlock -R checks it.
    public static func tagMAC(volumeKey: [UInt8], generation: Int, path: String, slot: Int, salt: String) -> String {
        let message = "ownerboot token tag v1\ngeneration=\(generation)\npath=\(path)\nslot=\(slot)\nsalt=\(salt)\n"
        return hex(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: derive(volumeKey, label: tagLabel)))
    }
}
