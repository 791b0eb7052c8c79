import Foundation

/// A board's test file: the machine and its scenarios.
public struct BoardTests: Sendable, Equatable {
    public var qemu: QEMUSettings
    public var scenarios: [TestScenario]

    public init(qemu: QEMUSettings, scenarios: [TestScenario]) {
        self.qemu = qemu
        self.scenarios = scenarios
    }
}
