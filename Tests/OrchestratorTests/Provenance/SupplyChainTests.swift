import Foundation
import Support
import Testing
@testable import Orchestrator

/// SBOM and provenance of a real generation (the fixture board built in the sandbox), checked
/// by the independent validators: pyspdxtools (spdx-tools), sbomcheck (ntia-conformance-checker)
/// and in-toto/securesystemslib through scripts/verify-provenance.py. Each validator is also
/// shown a broken document and must reject it.
@Suite(.serialized) struct SupplyChainTests {
    /// The fixture board built once, with a dpkg database in its build environment that says
    /// package gcc ships the bytes the `independent` component copies (the fixture's build
    /// environment borrows the host's /usr and has no dpkg database of its own).
    func builtFixture() throws -> (FixtureBoard, GenerationFacts) {
        let fixture = try FixtureBoard()
        let plan = try fixture.plan()
        _ = try fixture.builder().build(plan)
        let info = fixture.store.path(of: plan.steps[0].derivation).appendingPathComponent("var/lib/dpkg/info")
        try FileManager.default.createDirectory(at: info, withIntermediateDirectories: true)
        let md5 = OutputScanner.describe("note", Array("independent\n".utf8)).md5
        try "\(md5)  usr/share/doc/gcc/note.txt\n".write(to: info.appendingPathComponent("gcc:amd64.md5sums"), atomically: true, encoding: .utf8)
        return (fixture, try GenerationFacts.gather(board: "fixture", generation: nil, store: fixture.store))
    }

    func json(_ data: Data) throws -> [String: Any] { try JSONSerialization.jsonObject(with: data) as! [String: Any] }

    func relationships(_ sbom: [String: Any]) -> Set<String> {
        Set((sbom["relationships"] as! [[String: String]]).map { "\($0["spdxElementId"]!) \($0["relationshipType"]!) \($0["relatedSpdxElement"]!)" })
    }

    @Test func theSBOMCoversTheSetAndTheSameGenerationGivesTheSameBytes() throws {
        let (fixture, facts) = try builtFixture()
        defer { fixture.remove() }
        let first = try SBOMWriter().write(facts)
        let again = try SBOMWriter().write(try GenerationFacts.gather(board: "fixture", generation: facts.generation.number, store: fixture.store))
        #expect(first == again)

        let sbom = try json(first)
        #expect(sbom["spdxVersion"] as? String == "SPDX-2.3")
        #expect((sbom["creationInfo"] as! [String: Any])["created"] as? String == "2023-11-14T22:13:20Z")
        let packages = Dictionary(uniqueKeysWithValues: (sbom["packages"] as! [[String: Any]]).map { ($0["SPDXID"] as! String, $0) })
        #expect(Set(packages.keys) == ["SPDXRef-BuildEnvironment", "SPDXRef-Deb-gcc", "SPDXRef-Component-hello", "SPDXRef-Component-bundle", "SPDXRef-Component-independent"])
        let gcc = packages["SPDXRef-Deb-gcc"]!
        #expect(gcc["versionInfo"] as? String == "4:12.2.0-3")
        #expect((gcc["externalRefs"] as! [[String: String]])[0]["referenceLocator"] == "pkg:deb/debian/gcc@4%3A12.2.0-3?arch=amd64&distro=bookworm")

        let links = relationships(sbom)
        #expect(links.contains("SPDXRef-Component-independent CONTAINS SPDXRef-Deb-gcc"))
        #expect(!links.contains("SPDXRef-Component-hello CONTAINS SPDXRef-Deb-gcc"), "hello's compiled binary is not gcc's")
        #expect(links.contains("SPDXRef-Component-bundle GENERATED_FROM SPDXRef-Component-hello"))
        #expect(links.contains("SPDXRef-Component-hello GENERATED_FROM SPDXRef-BoardFile-hello.c"))
        #expect(links.contains("SPDXRef-BoardFile-hello.sh BUILD_TOOL_OF SPDXRef-Component-hello"))
        #expect(links.contains("SPDXRef-BuildEnvironment BUILD_TOOL_OF SPDXRef-Component-hello"))
        #expect(links.contains("SPDXRef-BuildEnvironment CONTAINS SPDXRef-Deb-gcc"))
        let described: Set<String> = ["SPDXRef-DOCUMENT DESCRIBES SPDXRef-Component-bundle", "SPDXRef-DOCUMENT DESCRIBES SPDXRef-Component-independent"]
        #expect(Set(links.filter { $0.hasPrefix("SPDXRef-DOCUMENT DESCRIBES") }) == described)

        // The checksum the SBOM gives for an output file is the file's.
        let hello = facts.components.first { $0.name == "hello" }!
        let said = try SHA256Digest.hex(fileAt: fixture.store.path(of: hello.derivation).appendingPathComponent("said.txt"))
        let files = sbom["files"] as! [[String: Any]]
        let entry = files.first { $0["fileName"] as? String == "./hello/said.txt" }!
        #expect((entry["checksums"] as! [[String: String]]).contains(["algorithm": "SHA256", "checksumValue": said]))
    }

    @Test(.enabled(if: SupplyTools.pythonValidators)) func pyspdxtoolsAndTheNTIACheckerAcceptTheSBOMAndRejectBrokenOnes() throws {
        let (fixture, facts) = try builtFixture()
        defer { fixture.remove() }
        let dir = fixture.home.deletingLastPathComponent()
        let good = dir.appendingPathComponent("sbom.spdx.json")
        try SBOMWriter().write(facts).write(to: good)
        let valid = try SupplyTools.run(SupplyTools.python("pyspdxtools"), ["-i", good.path])
        #expect(valid.ok, "\(valid.text)")
        let ntia = try SupplyTools.run(SupplyTools.python("sbomcheck"), [good.path])
        #expect(ntia.ok, "\(ntia.text)")
        #expect(ntia.text.contains("Conformant: True"), "\(ntia.text)")
        #expect(!ntia.text.contains("floating"), "every package is reachable from the described roots: \(ntia.text)")

        // A package without a supplier (here the pinned gcc) is not NTIA-conformant.
        var sbom = try json(try Data(contentsOf: good))
        var packages = sbom["packages"] as! [[String: Any]]
        let gcc = packages.firstIndex { $0["SPDXID"] as? String == "SPDXRef-Deb-gcc" }!
        packages[gcc].removeValue(forKey: "supplier")
        sbom["packages"] = packages
        let noSupplier = dir.appendingPathComponent("no-supplier.spdx.json")
        try JSONSerialization.data(withJSONObject: sbom).write(to: noSupplier)
        let refused = try SupplyTools.run(SupplyTools.python("sbomcheck"), [noSupplier.path])
        #expect(!refused.ok, "\(refused.text)")
        #expect(refused.text.contains("Conformant: False"), "\(refused.text)")

        // A relationship to an element that does not exist is invalid SPDX.
        sbom = try json(try Data(contentsOf: good))
        var relations = sbom["relationships"] as! [[String: String]]
        relations[0]["relatedSpdxElement"] = "SPDXRef-Nowhere"
        sbom["relationships"] = relations
        let dangling = dir.appendingPathComponent("dangling.spdx.json")
        try JSONSerialization.data(withJSONObject: sbom).write(to: dangling)
        let invalid = try SupplyTools.run(SupplyTools.python("pyspdxtools"), ["-i", dangling.path])
        #expect(!invalid.ok, "\(invalid.text)")
    }

    @Test(.enabled(if: SupplyTools.pythonValidators)) func theSignedProvenanceVerifiesWithInTotoAndTamperedOnesDoNot() throws {
        let (fixture, facts) = try builtFixture()
        defer { fixture.remove() }
        let dir = fixture.home.deletingLastPathComponent()
        let key = try OwnerKey.generate(at: OwnerKey.defaultURL(home: fixture.home))
        let pub = OwnerKey.publicKeyURL(for: key.url).path
        let writer = ProvenanceWriter()
        let envelopeData = try writer.envelope(for: facts, key: key)
        #expect(envelopeData == (try writer.envelope(for: facts, key: key)), "the same generation and key give the same bytes")
        let envelopeURL = dir.appendingPathComponent("provenance.dsse.json")
        try envelopeData.write(to: envelopeURL)
        let verified = try SupplyTools.run(SupplyTools.python("python3"), [SupplyTools.verifyProvenanceScript, envelopeURL.path, pub])
        #expect(verified.ok, "\(verified.text)")
        #expect(verified.text.contains("signature: verified"), "\(verified.text)")

        // What the statement says.
        let envelope = try JSONDecoder().decode(DSSEEnvelope.self, from: envelopeData)
        let statement = try json(Data(try envelope.verifiedPayload(keys: try TrustedKeys.load(home: fixture.home))))
        #expect(statement["_type"] as? String == "https://in-toto.io/Statement/v1")
        let subjects = statement["subject"] as! [[String: Any]]
        let hello = facts.components.first { $0.name == "hello" }!
        let binary = try SHA256Digest.hex(fileAt: fixture.store.path(of: hello.derivation).appendingPathComponent("hello"))
        #expect(subjects.contains { $0["name"] as? String == "hello/hello" && ($0["digest"] as? [String: String])?["sha256"] == binary })
        let definition = (statement["predicate"] as! [String: Any])["buildDefinition"] as! [String: Any]
        let dependencies = (definition["resolvedDependencies"] as! [[String: Any]]).map { $0["name"] as! String }
        #expect(dependencies.contains("boards/fixture/hello.c"))

        // A changed subject digest under the old signature is refused by the independent verifier.
        var tampered = envelope
        let changed = String(decoding: Data(base64Encoded: envelope.payload)!, as: UTF8.self).replacingOccurrences(of: binary, with: String(repeating: "0", count: 64))
        tampered.payload = Data(changed.utf8).base64EncodedString()
        let tamperedURL = dir.appendingPathComponent("tampered.dsse.json")
        try tampered.encoded().write(to: tamperedURL)
        let refused = try SupplyTools.run(SupplyTools.python("python3"), [SupplyTools.verifyProvenanceScript, tamperedURL.path, pub])
        #expect(!refused.ok, "\(refused.text)")
        #expect(refused.text.contains("signature: FAILED"), "\(refused.text)")

        // Signed by another key: refused with the owner's public key.
        let other = try OwnerKey.generate(at: dir.appendingPathComponent("other.key"))
        let otherURL = dir.appendingPathComponent("other.dsse.json")
        try writer.envelope(for: facts, key: other).write(to: otherURL)
        #expect(!(try SupplyTools.run(SupplyTools.python("python3"), [SupplyTools.verifyProvenanceScript, otherURL.path, pub])).ok)
    }

    @Test func aGenerationsDocumentsAreNamedFilesOfTheWritersBytes() throws {
        let (fixture, facts) = try builtFixture()
        defer { fixture.remove() }
        let key = try OwnerKey.generate(at: OwnerKey.defaultURL(home: fixture.home))
        let files = try GenerationDocuments.make(board: "fixture", generation: 1, store: fixture.store, key: key)
        #expect(Set(files.keys) == ["fixture-generation-1.spdx.json", "fixture-generation-1.intoto.jsonl"])
        #expect(files["fixture-generation-1.spdx.json"] == (try SBOMWriter().write(facts)))
        #expect(files["fixture-generation-1.intoto.jsonl"] == (try ProvenanceWriter().envelope(for: facts, key: key)))
        #expect(Array(try GenerationDocuments.make(board: "fixture", generation: nil, store: fixture.store, key: nil).keys) == ["fixture-generation-1.spdx.json"])
    }

    @Test func aMissingGenerationOrAnUnbuiltBoardIsAClearError() throws {
        let (fixture, facts) = try builtFixture()
        defer { fixture.remove() }
        #expect(facts.generation.number == 1)
        #expect(throws: SnapshotError.noGeneration(board: "fixture", number: 7)) {
            try GenerationFacts.gather(board: "fixture", generation: 7, store: fixture.store)
        }
        #expect(throws: ProvenanceError.noGenerations(board: "other")) {
            try GenerationFacts.gather(board: "other", generation: nil, store: fixture.store)
        }
    }
}
