import Foundation

/// The supply-chain documents of one generation as files, for a bundle or a release to carry:
/// `<board>-generation-<N>.spdx.json` (the SBOM) and, when a key is given,
/// `<board>-generation-<N>.intoto.jsonl` (the DSSE-signed provenance, one JSON line, the
/// name SLSA tooling expects). Same generation and key, same bytes. The result is file name →
/// bytes, the shape the bundle export's `extraFiles` takes.
public enum GenerationDocuments {
    public static func make(board: String, generation: Int?, store: Store, key: OwnerKey?) throws -> [String: Data] {
        let facts = try GenerationFacts.gather(board: board, generation: generation, store: store)
        let base = "\(board)-generation-\(facts.generation.number)"
        var files = ["\(base).spdx.json": try SBOMWriter().write(facts)]
        if let key { files["\(base).intoto.jsonl"] = try ProvenanceWriter().envelope(for: facts, key: key) }
        return files
    }
}
