import ArgumentParser

/// What a command that does not exist yet says: it never pretends to have done the work.
struct NotImplemented: Error, CustomStringConvertible {
    let command: String
    var description: String {
        "ownerboot \(command): not implemented yet (see the project's open issues)"
    }
}
