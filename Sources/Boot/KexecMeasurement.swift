import Support

/// What the unlocker measures before a kexec hand-over (recipes/unlocker/init/handover.sh,
/// `kexec_os`; kexec itself measures nothing): `ob-unlock -x 8` extends PCR 8 with the SHA-256
/// of the OS kernel file as the verified root holds it, then with the SHA-256 of the stage-2
/// command line, the exact text passed to the kernel (written with `printf '%s'`: no newline).
/// Both come from PCR 8 = 0 after a reset: nothing else on an ownerboot board extends PCR 8.
public enum KexecMeasurement {
    /// The PCR the hand-over is measured into.
    public static let pcr = 8

    /// The two events, in the order the unlocker extends them. `kernelSHA256` is the kernel
    /// file's SHA-256 (hex, either case); the events carry offset -1 (they are not in the ROM)
    /// and the size of what was measured when it is known (the command line's), else 0.
    public static func events(kernelSHA256: String, commandLine: String) -> [PCRPrediction.Event] {
        let text = Array(commandLine.utf8)
        return [
            PCRPrediction.Event(pcr: pcr, name: "ownerboot hand-over: OS kernel", digest: kernelSHA256.lowercased(), offset: -1, size: 0),
            PCRPrediction.Event(pcr: pcr, name: "ownerboot hand-over: command line", digest: SHA256Digest.hex(text), offset: -1, size: text.count),
        ]
    }

    /// PCR 8 once the unlocker has measured the hand-over (lowercase hex).
    public static func value(kernelSHA256: String, commandLine: String) -> String {
        PCRExpectation.replay(events(kernelSHA256: kernelSHA256, commandLine: commandLine).map(\.digest))
    }
}
