import Boot

/// A signed, fresh quote whose PCR does not hold what the prediction says: which PCR, both
/// values, the predicted log of that PCR, and what can honestly be said about the difference.
///
/// From a final PCR value alone the event that differed cannot be known (a hash chain hides
/// its inputs): the verifier can only recognise values it can compute, such as the chain cut
/// short after some predicted event, the value before the unlocker's cap, or another boot path's
/// value. With the device's own log (coreboot's, from its console) that replays to the quoted
/// value, it names the first event that differs.
public struct PCRMismatch: Sendable, Equatable {
    /// The boot path compared against.
    public var path: String
    public var pcr: Int
    public var expected: String
    public var found: String
    /// The predicted events of this PCR, in order (for PCR 2: coreboot's, then the cap).
    public var predictedEvents: [PCRPrediction.Event]
    /// What the found value is recognised as, when it is one the verifier can compute.
    public var recognized: String?
    /// With a device log that replays to `found`: the first predicted event whose measurement
    /// differs (nil with no log, or a log that does not replay).
    public var firstDifferingEvent: PCRPrediction.Event?
    /// The device log's entry at that place (nil when the log ends before it).
    public var loggedInstead: CorebootEventLog.Entry?
    /// What the device log says, when one was given: whether it replays, what differs.
    public var logFinding: String?
    /// Other PCRs that differ on this path, ascending.
    public var otherPCRs: [Int]

    /// One sentence for a person: the PCR, the first differing event when known, else the
    /// predicted log.
    public var detail: String {
        var text = "PCR \(pcr) differs from the \(path) path's prediction (expected \(expected.prefix(16))…, found \(found.prefix(16))…)"
        if let event = firstDifferingEvent {
            text += ": the first event that differs is \(event.name)"
            if let logged = loggedInstead { text += " (the device logged \(logged.name) with digest \(logged.digest.prefix(16))…, predicted \(event.digest.prefix(16))…)" }
        } else if let recognized {
            text += ": \(recognized)"
        } else {
            text += "; the predicted log is \(predictedEvents.map(\.name).joined(separator: ", "))"
            if predictedEvents.isEmpty { text += "(nothing: the PCR should be zero)" }
            text += "; a final value alone does not show which event differed"
        }
        if let logFinding, firstDifferingEvent == nil { text += " (\(logFinding))" }
        if !otherPCRs.isEmpty { text += "; PCR \(otherPCRs.map(String.init).joined(separator: ", ")) differ too" }
        return text
    }
}
