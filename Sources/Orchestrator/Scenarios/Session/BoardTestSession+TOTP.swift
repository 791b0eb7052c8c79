import Boot
import Foundation

extension BoardTestSession {
    /// A copy of the test disk with a new TOTP secret sealed by the scenario's TPM device to
    /// each boot path's predicted PCR 2 of the built ROM (`TOTPEnrolment`, as `ownerboot totp
    /// enroll` seals it), and `{totp}`: a regular expression of the codes of the period a step
    /// runs in and the one before and after it (the guest's RTC follows the host's clock; the
    /// unlocker computed the code a moment before the step looks at it).
    func enrolTOTP(_ scenario: TestScenario, testDisk: URL) throws -> (URL, @Sendable (Date) -> String) {
        guard case .device(let name) = scenario.tpm else { throw TestSessionError.needsTPMDevice(scenario: scenario.name) }
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        let tpm = try SoftwareTPM(stateDirectory: tpmDirectory(device: name), loopback: true)
        defer { tpm.close() }
        let totp = TOTP.random()
        let enrolment = try TOTPEnrolment.forROMs([([UInt8](try Data(contentsOf: artifacts.rom)), artifacts.rom.path)])
        _ = try enrolment.enrol(totp, disk: disk, tcti: tpm.tcti ?? "")
        return (disk, { now in "(" + totp.codes(around: now).joined(separator: "|") + ")" })
    }
}
