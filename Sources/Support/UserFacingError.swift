/// An error a person will read. Every module's error enum conforms: `message` says what went
/// wrong (naming the file, line, offset or hashes involved) and `fix` says what to do next.
public protocol UserFacingError: Error, CustomStringConvertible {
    var message: String { get }
    var fix: String? { get }
}

extension UserFacingError {
    public var fix: String? { nil }
    public var description: String {
        if let fix { return "\(message)\n  fix: \(fix)" }
        return message
    }
}
