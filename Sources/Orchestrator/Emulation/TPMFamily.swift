/// Which TPM a board has, so swtpm emulates that family (tests.toml `[qemu] tpm_version`).
public enum TPMFamily: String, Sendable, Equatable, Codable, CaseIterable {
    /// TPM 1.2 (the X230's): SHA-1 PCRs, no Clevis tpm2 pin; the unlocker only measures into it.
    case tpm12 = "1.2"
    case tpm20 = "2.0"
}
