import Foundation

extension BoardTestSession {
    func tpmDirectory(device name: String) -> URL {
        workDirectory.appendingPathComponent("tpm").appendingPathComponent("device-\(name)")
    }

    /// The scenario's software TPM, started before QEMU: `fresh` gets an empty state of its
    /// own, a named device keeps its state under the work directory for later scenarios.
    func startTPM(for scenario: TestScenario) throws -> SoftwareTPM? {
        let tpmRoot = workDirectory.appendingPathComponent("tpm")
        switch scenario.tpm {
        case .none:
            return nil
        case .fresh:
            let state = tpmRoot.appendingPathComponent("fresh-\(scenario.name)")
            try? FileManager.default.removeItem(at: state)
            return try SoftwareTPM(stateDirectory: state, family: tests.qemu.tpmFamily)
        case .device(let name):
            return try SoftwareTPM(stateDirectory: tpmDirectory(device: name), family: tests.qemu.tpmFamily)
        }
    }
}
