import Foundation

/// Turns a generation into an in-toto Statement v1 with a SLSA Provenance v1 predicate, and
/// wraps it in a DSSE envelope signed with the owner's key. Subjects: every file of every
/// component output (the ROM among them) by SHA-256. Resolved dependencies: every source file
/// and every pinned .deb of the build environment by SHA-256 (with its purl), and the board
/// files the components read. The builder: ownerboot's version and the board snapshot the
/// generation was built from. No wall-clock times: the same generation gives the same bytes.
public struct ProvenanceWriter: Sendable {
    public static let statementType = "https://in-toto.io/Statement/v1"
    public static let predicateType = "https://slsa.dev/provenance/v1"
    public static let payloadType = "application/vnd.in-toto+json"
    /// What an ownerboot build is: the derivation set of a board, built in its sandbox.
    public static let buildType = "https://ownerboot.invalid/build-types/derivation-set/v1"
    public static let builderID = "https://ownerboot.invalid/builders/local-sandbox"

    public init() {}

    struct ResourceDescriptor: Encodable {
        var name: String
        var uri: String?
        var digest: [String: String]
        var annotations: [String: String]?
    }

    struct Statement: Encodable {
        let _type = ProvenanceWriter.statementType
        var subject: [ResourceDescriptor]
        let predicateType = ProvenanceWriter.predicateType
        var predicate: Predicate
    }

    struct Predicate: Encodable {
        struct BuildDefinition: Encodable {
            var buildType: String
            var externalParameters: [String: String]
            var internalParameters: InternalParameters
            var resolvedDependencies: [ResourceDescriptor]
        }
        struct InternalParameters: Encodable {
            var setHash: String
            var sourceDateEpoch: Int
            var buildEnvironment: String
            /// component name → derivation hash
            var derivations: [String: String]
        }
        struct RunDetails: Encodable {
            var builder: Builder
            var metadata: [String: String]
        }
        struct Builder: Encodable {
            var id: String
            var version: [String: String]
            var builderDependencies: [ResourceDescriptor]
        }
        var buildDefinition: BuildDefinition
        var runDetails: RunDetails
    }

    /// The statement's JSON bytes (compact, sorted keys).
    public func statement(for facts: GenerationFacts) throws -> Data {
        let board = facts.board.name
        var subjects: [ResourceDescriptor] = []
        for component in facts.components {
            for file in component.files {
                subjects.append(.init(name: "\(component.name)/\(file.path)", digest: ["sha256": file.sha256]))
            }
        }
        var dependencies: [ResourceDescriptor] = []
        for source in facts.sources {
            let arch = source.spec.kind == .debianSource ? "source" : "all"
            for file in source.lock.files {
                dependencies.append(.init(name: file.name, uri: facts.purl(name: source.lock.package, version: source.lock.version, arch: arch),
                                          digest: ["sha256": file.sha256], annotations: ["source": source.spec.name, "kind": source.spec.kind.rawValue]))
            }
        }
        for package in facts.lock.buildenv?.packages ?? [] {
            guard let sha256 = package.sha256 else { continue }
            dependencies.append(.init(name: "\(package.name)_\(package.version)_\(package.architecture).deb",
                                      uri: facts.purl(name: package.name, version: package.version, arch: package.architecture),
                                      digest: ["sha256": sha256], annotations: ["role": "build-environment"]))
        }
        // The OS image's pinned closure ([os]): every .deb is in the repository the OS build
        // reads; "os-image" marks those dpkg lists in the finished image, "os-repository" the
        // pins it offered but mmdebstrap did not install.
        let installed = Set((facts.osInstalled ?? []).map(\.debFileName))
        for package in facts.lock.os?.packages ?? [] {
            guard let sha256 = package.sha256 else { continue }
            dependencies.append(.init(name: "\(package.name)_\(package.version)_\(package.architecture).deb",
                                      uri: facts.purl(name: package.name, version: package.version, arch: package.architecture),
                                      digest: ["sha256": sha256], annotations: ["role": installed.contains(package.debFileName) ? "os-image" : "os-repository"]))
        }
        for file in facts.boardFiles {
            dependencies.append(.init(name: "boards/\(board)/\(file.name)", digest: ["sha256": file.sha256], annotations: ["role": "board-file"]))
        }
        let snapshot = facts.generation.boardSnapshot ?? ""
        let snapshotHash = String(snapshot.prefix(64))
        let predicate = Predicate(
            buildDefinition: .init(
                buildType: Self.buildType,
                externalParameters: ["board": board, "generation": String(facts.generation.number)],
                internalParameters: .init(setHash: facts.generation.setHash, sourceDateEpoch: facts.sourceDateEpoch,
                                          buildEnvironment: facts.buildEnvironment.hash,
                                          derivations: Dictionary(uniqueKeysWithValues: facts.components.map { ($0.name, $0.derivation.hash) })),
                resolvedDependencies: dependencies.sorted { ($0.name, $0.uri ?? "") < ($1.name, $1.uri ?? "") }),
            runDetails: .init(
                builder: .init(id: Self.builderID, version: ["ownerboot": OwnerbootVersion.current, "boardSnapshot": snapshot],
                               builderDependencies: snapshot.isEmpty ? [] : [.init(name: "board snapshot \(snapshot)", digest: ["ownerbootDerivation": snapshotHash])]),
                metadata: ["invocationId": "\(board)-generation-\(facts.generation.number)-\(facts.generation.setHash)"]))
        let statement = Statement(subject: subjects.sorted { $0.name < $1.name }, predicate: predicate)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(statement)
    }

    /// The statement in a DSSE envelope signed by `key`: the envelope's JSON bytes.
    public func envelope(for facts: GenerationFacts, key: OwnerKey) throws -> Data {
        try DSSEEnvelope.sign(payload: Array(try statement(for: facts)), payloadType: Self.payloadType, key: key).encoded()
    }
}
