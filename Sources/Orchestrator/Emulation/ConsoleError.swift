import Foundation
import Support

/// Why a console expectation failed; each names the transcript to read.
public enum ConsoleError: UserFacingError {
    case timedOut(pattern: String, seconds: Double, transcript: String)
    case exitedBeforeMatch(pattern: String, status: Int32?, transcript: String)
    case didNotExit(seconds: Double, transcript: String)
    case sawFailure(pattern: String, failure: String, transcript: String)

    public var message: String {
        switch self {
        case .timedOut(let pattern, let seconds, let transcript):
            return "waited \(Int(seconds)) s for /\(pattern)/ on the console and it did not appear (transcript: \(transcript))"
        case .exitedBeforeMatch(let pattern, let status, let transcript):
            return "the machine stopped\(status.map { " (status \($0))" } ?? "") before /\(pattern)/ appeared (transcript: \(transcript))"
        case .didNotExit(let seconds, let transcript):
            return "the machine did not power off within \(Int(seconds)) s and was killed (transcript: \(transcript))"
        case .sawFailure(let pattern, let failure, let transcript):
            return "while waiting for /\(pattern)/ the console showed \"\(failure)\" (transcript: \(transcript))"
        }
    }

    public var fix: String? { "read the transcript; the last lines show where the boot stopped" }
}
