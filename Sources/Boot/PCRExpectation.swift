import Support

/// The PCRs a TPM quote from a running ownerboot machine shows for one boot path: coreboot's
/// measurements (`PCRPrediction`), then what the unlocker adds before anything else runs: the cap
/// of PCR 2 (`UnlockerCap`) and, on a kexec board, the hand-over in PCR 8 (`KexecMeasurement`).
/// Each PCR's predicted events are kept with its value, so a verifier that finds a different
/// value can say what the log should have been, and, given the device's own log, which event
/// differs. Pure: prediction in, values out.
public struct PCRExpectation: Codable, Sendable, Equatable {
    /// The PCRs an attestation quotes on every board: the firmware's (0–7, all zero but 2
    /// and 3 under coreboot 4.15's measured boot).
    public static let firmwarePCRs = Array(0...7)

    /// The boot path this is ("fallback", "normal").
    public var path: String
    /// PCR index → value (lowercase hex) as the OS sees it.
    public var values: [Int: String]
    /// PCR index → its events in order (a PCR with none stays zero).
    public var events: [Int: [PCRPrediction.Event]]

    public init(path: String, values: [Int: String], events: [Int: [PCRPrediction.Event]]) {
        self.path = path
        self.values = values
        self.events = events
    }

    /// The event the unlocker's cap adds to PCR 2 (offset -1: not in the ROM).
    public static var capEvent: PCRPrediction.Event {
        PCRPrediction.Event(pcr: UnlockerCap.pcr, name: "ownerboot cap (EV_SEPARATOR)", digest: UnlockerCap.digest, offset: -1, size: UnlockerCap.data.count)
    }

    /// What a quote shows after the unlocker: `prediction`'s events plus the cap in PCR 2, and,
    /// when the board hands over by kexec, PCR 8 for that kernel (its SHA-256) and command line.
    /// `pcrs`: the PCRs covered (PCR 8 is added when `kexec` is given).
    public init(prediction: PCRPrediction, kexec: (kernelSHA256: String, commandLine: String)? = nil, pcrs: [Int] = firmwarePCRs) {
        var events: [Int: [PCRPrediction.Event]] = [:]
        for event in prediction.events { events[event.pcr, default: []].append(event) }
        events[UnlockerCap.pcr, default: []].append(Self.capEvent)
        var covered = Set(pcrs)
        if let kexec {
            events[KexecMeasurement.pcr] = KexecMeasurement.events(kernelSHA256: kexec.kernelSHA256, commandLine: kexec.commandLine)
            covered.insert(KexecMeasurement.pcr)
        }
        events = events.filter { covered.contains($0.key) }
        var values: [Int: String] = [:]
        for pcr in covered { values[pcr] = Self.replay(events[pcr]?.map(\.digest) ?? []) }
        self.init(path: prediction.bootPath, values: values, events: events)
    }

    /// One expectation per boot path `image` has (fallback; normal too when it has a normal
    /// half), in `PCRPrediction.bootPaths` order: what a verifier compares a quote against.
    public static func everyPath(in image: [UInt8], kexec: (kernelSHA256: String, commandLine: String)? = nil,
                                 pcrs: [Int] = firmwarePCRs) throws -> [PCRExpectation] {
        try PCRPrediction.bootPaths(in: image).map { PCRExpectation(prediction: try PCRPrediction.predict(image: image, path: $0), kexec: kexec, pcrs: pcrs) }
    }

    /// The PCRs covered, ascending.
    public var pcrs: [Int] { values.keys.sorted() }

    /// A SHA-256 PCR after extending zero with `digests` in order (lowercase hex in and out).
    public static func replay(_ digests: [String]) -> String {
        var pcr = [UInt8](repeating: 0, count: 32)
        for digest in digests { pcr = SHA256Digest.bytes(pcr + PCRPrediction.bytes(hex: digest.lowercased())) }
        return String(hex: pcr)
    }
}
