import Foundation

/// Results filled in by index from concurrent scenario runs.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [ScenarioResult?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: ScenarioResult) { lock.withLock { results[index] = result } }
    var values: [ScenarioResult] { lock.withLock { results.compactMap { $0 } } }
}
