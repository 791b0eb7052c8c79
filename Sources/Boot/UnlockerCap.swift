import Support

/// The unlocker's cap on the TPM: before anything that is not the unlocker's own code can run
/// (a rescue shell, a prompt after a failure, `switch_root` into the OS, a kexec hand-over), the
/// unlocker extends PCR 2 once more with this event, so a key sealed to the PCR 2 of this boot
/// (every Clevis TPM2 token ownerboot enrols) cannot be unsealed again until the machine resets.
/// The event is TCG's separator (EV_SEPARATOR's data, four zero bytes): the initramfs holds it
/// as /lib/ownerboot/cap-event and `ob-unlock -x 2` extends its digest.
public enum UnlockerCap {
    /// The PCR it extends: the one the tokens are sealed to.
    public static let pcr = 2
    /// The measured bytes.
    public static let data: [UInt8] = [0, 0, 0, 0]
    /// SHA-256 of `data`, lowercase hex (what the SHA-256 bank is extended with).
    public static var digest: String { SHA256Digest.hex(data) }

    /// PCR 2 after the cap, from its value when the unlocker unseals (lowercase hex in and out).
    public static func capped(_ value: String) -> String {
        String(hex: SHA256Digest.bytes(PCRPrediction.bytes(hex: value) + SHA256Digest.bytes(data)))
    }
}
