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
    /// When each `expect` step matched, in seconds since QEMU was started (`ownerboot bench
    /// boot` prints them: the time to each console milestone of a boot).
    public var milestones: [Milestone] = []

    public struct Milestone: Sendable, Codable {
        /// The step's pattern as tests.toml writes it (placeholders not filled in).
        public var expect: String
        public var seconds: Double
    }
}
