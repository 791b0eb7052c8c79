import Support

/// Why `fleet enroll` or `fleet attest` cannot go on: the inventory's or the store's problem,
/// not the device's answer (that is an `Attestation` verdict, recorded).
public enum FleetAttestError: UserFacingError, Equatable {
    case alreadyEnrolled(device: String, akName: String, enrolledAt: String)
    case notEnrolled(device: String)
    case neverFlashed(device: String)
    case romNotInStore(device: String, board: String, generation: Int?, setHash: String?)
    case noPrediction(device: String, board: String, generation: Int, reason: String)

    public var message: String {
        switch self {
        case .alreadyEnrolled(let device, let name, let at):
            return "\(device) already has an attestation key (name \(name), enrolled \(at))"
        case .notEnrolled(let device): return "\(device) has no enrolled attestation key: there is nothing to verify its quote with"
        case .neverFlashed(let device):
            return "the inventory records no flash of \(device): there is no generation to check its quote against"
        case .romNotInStore(let device, let board, let generation, let setHash):
            let which = generation.map { "generation \($0)" } ?? "the firmware"
            return "\(device) runs \(board) \(which) (set \(setHash ?? "unknown")) according to the inventory, and that ROM is not in the store: its PCRs cannot be predicted"
        case .noPrediction(let device, let board, let generation, let reason):
            return "no PCR prediction for \(device)'s \(board) generation \(generation): \(reason)"
        }
    }

    public var fix: String? {
        switch self {
        case .alreadyEnrolled: return "`--replace` replaces it (quotes made with the old key will no longer verify)"
        case .notEnrolled(let device): return "`ownerboot fleet enroll \(device) --ak-public FILE` (the `-u` output of tpm2_createak on the device)"
        case .neverFlashed: return "flashing it with `ownerboot flash … --device NAME` records what its chip holds"
        case .romNotInStore(_, let board, _, _): return "build that generation again (`ownerboot build board=\(board)`) or import its bundle, so the store holds its ROM"
        case .noPrediction: return "a ROM without coreboot's measured boot cannot be attested"
        }
    }
}
