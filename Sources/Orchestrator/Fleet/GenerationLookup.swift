/// The latest generation ownerboot built for each board (from the generations record).
/// The inventory asks it; it never reads the store itself.
public protocol GenerationLookup: Sendable {
    func latest(board: String) -> (number: Int, setHash: String)?
    func generation(board: String, setHash: String) -> Int?
}
