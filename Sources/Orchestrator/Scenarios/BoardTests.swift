import Foundation

/// A board's test file: the machine and its scenarios.
public struct BoardTests: Sendable, Equatable {
    public var qemu: QEMUSettings
    public var scenarios: [TestScenario]

    public init(qemu: QEMUSettings, scenarios: [TestScenario]) {
        self.qemu = qemu
        self.scenarios = scenarios
    }

    /// The scenarios `names` asks for, in that order (every one when empty); an unknown name
    /// is an error that lists the board's scenarios. Callers check before a long build.
    public func scenarios(named names: [String]) throws -> [TestScenario] {
        if names.isEmpty { return scenarios }
        return try names.map { name in
            guard let scenario = scenarios.first(where: { $0.name == name }) else {
                throw TestSessionError.unknownScenario(name: name, known: scenarios.map(\.name))
            }
            return scenario
        }
    }
}
