import Foundation
import Support

/// One buildable thing: a build environment, a fixed-output source, or a component built by
/// a builder script in the sandbox. Its `hash` names its output in the store and is
/// SHA-256 over `canonicalDescription` (see docs/reference/derivation-hash.md): every input by its own
/// hash, never an absolute host path, so the same board plans to the same hashes anywhere.
public struct Derivation: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case buildEnvironment = "buildenv"
        case source
        case component
        /// A copy of the board folder a generation was built from (to rebuild it later).
        case boardSnapshot = "board"
        /// One pinned Debian binary package (.deb) of the build environment, named by the
        /// SHA-256 the lock pins; checked against it before it enters the store.
        case package = "deb"
        /// A flat Debian repository of pinned .debs (the OS's closure), made from the store's
        /// package entries; fixed by the lock like the build environment.
        case repository = "repo"
        /// Files that came with an imported generation (its SBOM, provenance), kept beside it.
        case attestation
        /// Debian's signed archive metadata a lock's pins were read from (`InRelease` and the
        /// `Packages` indexes it lists), fixed by the InRelease's SHA-256.
        case archive
    }

    /// One named input and the hash that pins it.
    public struct Input: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable {
            case source, component, file
        }
        public var name: String
        public var kind: Kind
        /// A derivation hash (source, component) or the content hash of a board file.
        public var hash: String
    }

    public var name: String
    public var kind: Kind
    /// SHA-256 of the builder script (components only).
    public var builderHash: String?
    public var inputs: [Input]
    public var env: [String: String]
    /// The build environment's derivation hash (components only).
    public var buildEnvironment: String?
    public var sourceDateEpoch: Int?
    /// What fixes a fixed-output derivation: for sources and the build environment, the hash
    /// of what the lock pins.
    public var fixedOutput: String?

    public init(name: String, kind: Kind, builderHash: String? = nil, inputs: [Input] = [], env: [String: String] = [:], buildEnvironment: String? = nil, sourceDateEpoch: Int? = nil, fixedOutput: String? = nil) {
        self.name = name
        self.kind = kind
        self.builderHash = builderHash
        self.inputs = inputs.sorted { $0.name < $1.name }
        self.env = env
        self.buildEnvironment = buildEnvironment
        self.sourceDateEpoch = sourceDateEpoch
        self.fixedOutput = fixedOutput
    }

    /// Version 1 of the canonical encoding: compact JSON, keys sorted, inputs sorted by name,
    /// env as sorted [key, value] pairs, absent fields omitted.
    public var canonicalDescription: [UInt8] {
        struct Canonical: Encodable {
            let v = 1
            let name: String
            let kind: String
            let builder: String?
            let inputs: [[String]]
            let env: [[String]]
            let buildenv: String?
            let sourceDateEpoch: Int?
            let fixedOutput: String?
        }
        let value = Canonical(
            name: name, kind: kind.rawValue, builder: builderHash,
            inputs: inputs.map { [$0.name, $0.kind.rawValue, $0.hash] },
            env: env.keys.sorted().map { [$0, env[$0]!] },
            buildenv: buildEnvironment, sourceDateEpoch: sourceDateEpoch, fixedOutput: fixedOutput)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data())
    }

    public var hash: String { SHA256Digest.hex(canonicalDescription) }

    /// `<hash>-<name>`: the output's folder name in the store.
    public var storeName: String { "\(hash)-\(name)" }
}
