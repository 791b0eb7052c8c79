import Boot
import Foundation
import Support

/// The scenarios' disks with Clevis tokens, enrolled by `ClevisEnrolment` as `ownerboot disk`
/// enrols a device's.
extension BoardTestSession {
    /// A copy of the test disk with a Clevis TPM2 token sealed by the scenario's TPM device
    /// (served on loopback while `clevis luks bind` runs) to the built ROM's predicted PCR 2,
    /// as `ownerboot disk --tpm2` provisions a device before its first boot.
    func enrolTPM2(_ scenario: TestScenario, testDisk: URL) throws -> URL {
        guard case .device(let name) = scenario.tpm else { throw TestSessionError.needsTPMDevice(scenario: scenario.name) }
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        var roms = [artifacts.rom]
        if scenario.disk == .tpm2Resealed {
            guard let previous = artifacts.previousROM else { throw TestSessionError.noPreviousGeneration(scenario: scenario.name) }
            roms.insert(previous, at: 0)
        }
        let tpm = try SoftwareTPM(stateDirectory: tpmDirectory(device: name), loopback: true)
        defer { tpm.close() }
        // Tagged with the ROM's generation, as `ownerboot disk --tpm2` does (the unlocker
        // retires the previous generation's token after the update's unattended boot).
        let path: PCRPrediction.BootPath = scenario.disk == .tpm2Normal ? .normal : .fallback
        let tokens = try roms.flatMap { rom in try ClevisEnrolment.tpm2Tokens(image: [UInt8](try Data(contentsOf: rom)), romPath: rom.path, paths: [path]) }
        // Every LUKS2 container the unlocker opens (a verity OS's slots and state) gets it.
        try ClevisEnrolment(tokens: tokens).bind(disk: disk, passphrase: { Data(tests.qemu.testPassphrase.utf8) }, tcti: tpm.tcti ?? "")
        if scenario.disk == .tpm2Resealed { try Self.addForgedToken(to: disk) }
        return disk
    }

    /// What a disk attacker adds to the resealed disk: a copy of token 0 that claims the
    /// passphrase's key slot 0 for generation 0, its tag's mac made up (LUKS2 token JSON is not
    /// authenticated). The unlocker must keep it and slot 0 while it retires token 0 and slot 1.
    static func addForgedToken(to disk: URL) throws {
        let runner = ProcessRunner(timeout: 60)
        _ = try LUKSContainers.forEachHeader(of: disk) { header in
            let exported = try runner.run("cryptsetup", ["token", "export", "--token-id", "0", header.path])
            guard exported.succeeded, var token = try JSONSerialization.jsonObject(with: exported.stdout) as? [String: Any] else {
                throw DiskError.cryptsetupFailed(step: "export token 0 of", output: exported.stderrText)
            }
            token["keyslots"] = ["0"]
            token[ClevisTokenTag.member] = ["generation": 0, "path": "fallback", "slot": 0, "mac": String(repeating: "0f", count: 32)]
            let json = try JSONSerialization.data(withJSONObject: token, options: [.sortedKeys])
            let imported = try runner.run("cryptsetup", ["token", "import", "--json-file", "-", header.path], stdin: json)
            guard imported.succeeded else { throw DiskError.cryptsetupFailed(step: "add the forged token to", output: imported.stderrText) }
        }
    }

    func enrolTang(_ scenario: TestScenario, testDisk: URL) throws -> URL {
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        let advertisement = try tangDirectory().appendingPathComponent("adv.jws")
        try ClevisEnrolment(tokens: [.tang(url: Self.tangURL, advertisement: advertisement)])
            .bind(disk: disk, passphrase: { Data(tests.qemu.testPassphrase.utf8) }, tcti: "")
        return disk
    }

    /// A copy of the test disk with one Clevis sss token, 2 of tang (the session's server) and
    /// TPM2 (sealed by the scenario's TPM device to the built ROM's predicted PCR 2).
    func enrolSSS(_ scenario: TestScenario, testDisk: URL) throws -> URL {
        guard case .device(let name) = scenario.tpm else { throw TestSessionError.needsTPMDevice(scenario: scenario.name) }
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        let tpm2 = try ClevisEnrolment.tpm2Tokens(image: [UInt8](try Data(contentsOf: artifacts.rom)), romPath: artifacts.rom.path, paths: [.fallback], tagged: false)
        let tpm = try SoftwareTPM(stateDirectory: tpmDirectory(device: name), loopback: true)
        defer { tpm.close() }
        let enrolment = ClevisEnrolment(tokens: [.tang(url: Self.tangURL, advertisement: try tangDirectory().appendingPathComponent("adv.jws"))] + tpm2, threshold: 2)
        try enrolment.bind(disk: disk, passphrase: { Data(tests.qemu.testPassphrase.utf8) }, tcti: tpm.tcti ?? "")
        return disk
    }
}
