import ArgumentParser
import Orchestrator

/// Resolves the `--board`/`board=` a command was given into a loaded board, with the
/// errors a user needs: none given, or an unknown name (listing the known ones).
enum BoardSelection {
    static func load(_ name: String?, global: GlobalOptions) throws -> Board {
        let catalog = try global.boardCatalog()
        guard let name else {
            let known = (try? catalog.names()) ?? []
            throw ValidationError("no board given: add board=NAME (known boards: \(known.joined(separator: ", ")))")
        }
        return try catalog.load(name)
    }
}
