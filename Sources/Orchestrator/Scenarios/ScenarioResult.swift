import Foundation
import Support

/// What one scenario run came to: passed or the expectation that failed, how long it took,
/// the last console lines and where the whole transcript is.
public struct ScenarioResult: Sendable, Codable {
    public var scenario: String
    public var passed: Bool
    public var seconds: Double
    /// The step that failed, e.g. `expect /enter passphrase/ (timeout 120 s)`.
    public var failedStep: String?
    public var failure: String?
    public var lastLines: String?
    public var transcript: String
}
