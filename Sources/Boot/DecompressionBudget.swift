/// How many decompressed bytes one operation may produce in total, across every file and
/// segment it expands. A per-stream `limit` alone does not bound the work: a hostile payload
/// can list thousands of segments pointing at the same small stream that expands to the limit.
public struct DecompressionBudget: Sendable, Equatable {
    public let total: Int
    public private(set) var remaining: Int

    public init(total: Int) {
        self.total = max(0, total)
        remaining = self.total
    }

    /// Runs `decompress` with what is left as its output limit and charges what it produced.
    /// Throws `BootError.decompression` saying so when the budget runs out.
    public mutating func spend(_ what: String, offset: Int, _ decompress: (_ limit: Int) throws -> [UInt8]) throws -> [UInt8] {
        let spent = BootError.decompression(what: what, offset: offset, reason: "the total decompression budget of \(total) bytes is spent")
        guard remaining > 0 else { throw spent }
        let out: [UInt8]
        do {
            out = try decompress(remaining)
        } catch BootError.decompression(_, _, let reason) where reason == Decompression.limitReason(remaining) {
            remaining = 0
            throw spent
        }
        remaining -= min(out.count, remaining)
        return out
    }
}
