import Foundation

/// `systemd-analyze`'s first line, e.g. "Startup finished in 14.203s (kernel) + 1min 2.5s
/// (userspace) = 1min 16.7s", read from a console transcript.
public struct SystemdAnalyze: Sendable {
    public var kernel: Double
    public var userspace: Double

    public init?(_ transcript: String) {
        guard let line = transcript.split(whereSeparator: \.isNewline).last(where: { $0.contains("Startup finished in") && $0.contains("(userspace)") }) else { return nil }
        let body = line[line.range(of: "Startup finished in")!.upperBound...]
        var times: [String: Double] = [:]
        for part in body.split(separator: "+") {
            guard let open = part.firstIndex(of: "("), let close = part.firstIndex(of: ")") else { continue }
            times[String(part[part.index(after: open)..<close])] = Self.seconds(String(part[..<open]))
        }
        guard let kernel = times["kernel"], let userspace = times["userspace"] else { return nil }
        self.kernel = kernel
        self.userspace = userspace
    }

    /// "1min 2.503s", "875ms", "14.2s" → seconds.
    public static func seconds(_ text: String) -> Double {
        var total = 0.0
        for word in text.split(separator: " ") {
            let digits = word.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(digits) else { continue }
            switch word.dropFirst(digits.count) {
            case "min": total += value * 60
            case "ms": total += value / 1000
            case "us", "µs": total += value / 1_000_000
            case "h": total += value * 3600
            default: total += value
            }
        }
        return total
    }
}
