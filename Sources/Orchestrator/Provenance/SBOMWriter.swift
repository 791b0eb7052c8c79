import Crypto
import Foundation
import Support

/// Turns a generation into an SPDX 2.3 JSON SBOM covering the whole set: every component
/// output (the ROM among them) with its files' SHA-1 and SHA-256 and a package verification
/// code; the sources (coreboot, Linux) with version, hashes and the Kconfig fragment and
/// resulting `.config` digests; the board files each component reads; every pinned Debian
/// package of the build environment (name, version, .deb SHA-256, purl) as a build tool; the
/// Debian packages found inside each output (the unlocker's busybox, cryptsetup and libraries)
/// as contained; and the relationships between them.
///
/// Deterministic: `created` is the set's SOURCE_DATE_EPOCH, every list is sorted and keys are
/// sorted, so the same generation gives the same bytes on any machine.
public struct SBOMWriter: Sendable {
    public init() {}

    public func document(for facts: GenerationFacts) throws -> SPDXDocument {
        var ids = IdentifierSet()
        var packages: [SPDXDocument.Package] = []
        var files: [SPDXDocument.File] = []
        var relationships: [SPDXDocument.Relationship] = []
        func relate(_ a: String, _ type: String, _ b: String) { relationships.append(.init(spdxElementId: a, relationshipType: type, relatedSpdxElement: b)) }
        let board = facts.board.name
        let ownerboot = "Organization: ownerboot"
        let debian = "Organization: Debian"

        // Board files the components read, and their builder scripts.
        // A board input may be a folder (an OS overlay): each file in it is a board file.
        var boardFileIDs: [String: [String]] = [:]
        let boardFileNames = Set(facts.boardFiles.map(\.name) + facts.components.map(\.builder).filter { !$0.isEmpty })
        for name in boardFileNames.sorted() {
            let url = facts.board.resolve(name)?.url ?? facts.board.directory.appendingPathComponent(name)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else { throw ProvenanceError.unreadable(path: url.path, reason: "missing from the board snapshot") }
            let members = isFolder.boolValue
                ? ((FileManager.default.enumerator(atPath: url.path)?.allObjects as? [String]) ?? []).sorted().filter { member in
                    var folder: ObjCBool = false
                    return FileManager.default.fileExists(atPath: url.appendingPathComponent(member).path, isDirectory: &folder) && !folder.boolValue
                }.map { "\(name)/\($0)" }
                : [name]
            for member in members {
                let memberURL = isFolder.boolValue ? url.appendingPathComponent(String(member.dropFirst(name.count + 1))) : url
                guard let data = FileManager.default.contents(atPath: memberURL.path) else { throw ProvenanceError.unreadable(path: memberURL.path, reason: "missing from the board snapshot") }
                let described = OutputScanner.describe(member, Array(data))
                let id = ids.make("BoardFile-\(member)")
                boardFileIDs[name, default: []].append(id)
                files.append(.init(SPDXID: id, fileName: "./boards/\(board)/\(member)", checksums: Self.checksums(described),
                                   comment: "board file of \(board), from the generation's board snapshot"))
            }
        }

        // The build environment and its pinned packages.
        let envID = ids.make("BuildEnvironment")
        packages.append(.init(SPDXID: envID, name: "\(board)-build-environment", versionInfo: facts.buildEnvironment.hash, supplier: ownerboot,
                              comment: "Debian \(facts.lock.buildenv?.suite ?? "") root file system (\(facts.lock.buildenv?.variant ?? "") variant) made from exactly the pinned packages; version is its derivation hash"))
        var debIDs: [String: String] = [:]
        for package in (facts.lock.buildenv?.packages ?? []).sorted(by: { $0.name < $1.name }) {
            let id = ids.make("Deb-\(package.name)")
            debIDs[package.name] = id
            packages.append(.init(
                SPDXID: id, name: package.name, versionInfo: package.version, supplier: debian,
                checksums: package.sha256.map { [.init(algorithm: "SHA256", checksumValue: $0)] },
                externalRefs: [.init(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
                                     referenceLocator: facts.purl(name: package.name, version: package.version, arch: package.architecture))],
                comment: "Debian binary package \(package.name)_\(package.version)_\(package.architecture).deb; checksum is the .deb's"))
            relate(envID, "CONTAINS", id)
        }

        // Sources.
        var sourceIDs: [String: String] = [:]
        for source in facts.sources {
            let id = ids.make("Source-\(source.spec.name)")
            sourceIDs[source.spec.name] = id
            let isSource = source.spec.kind == .debianSource
            let main = isSource ? source.lock.files.first { $0.name.hasSuffix(".dsc") } : source.lock.files.first
            var comment = "\(source.spec.kind.rawValue) \(source.lock.package) \(source.lock.version); files: "
                + source.lock.files.map { "\($0.name) sha256:\($0.sha256)" }.joined(separator: ", ")
            comment += configurationNote(for: source.spec.name, facts: facts)
            packages.append(.init(
                SPDXID: id, name: source.lock.package, versionInfo: source.lock.version, supplier: debian,
                checksums: main.map { [.init(algorithm: "SHA256", checksumValue: $0.sha256)] },
                externalRefs: [.init(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
                                     referenceLocator: facts.purl(name: source.lock.package, version: source.lock.version, arch: isSource ? "source" : "all"))],
                comment: comment))
        }

        // Components: their files, what they were made from, what they contain.
        var componentIDs: [String: String] = [:]
        for component in facts.components { componentIDs[component.name] = ids.make("Component-\(component.name)") }
        let consumed = Set(facts.components.flatMap { $0.derivation.inputs.filter { $0.kind == .component }.map(\.name) })
        for component in facts.components {
            let id = componentIDs[component.name]!
            var fileIDs: [String] = []
            for file in component.files + component.members {
                let fileID = ids.make("File-\(component.name)-\(file.path)")
                fileIDs.append(fileID)
                files.append(.init(SPDXID: fileID, fileName: "./\(component.name)/\(file.path)", checksums: Self.checksums(file),
                                   comment: file.path.contains("!/") ? "inside the image \(file.path.components(separatedBy: "!/")[0]) of the \(component.name) output" : nil))
            }
            let all = component.files + component.members
            let code = Insecure.SHA1.hash(data: Array(all.map(\.sha1).sorted().joined().utf8)).map { String(format: "%02x", $0) }.joined()
            packages.append(.init(
                SPDXID: id, name: "\(board)-\(component.name)", versionInfo: component.derivation.hash, supplier: ownerboot,
                filesAnalyzed: !all.isEmpty, packageVerificationCode: all.isEmpty ? nil : .init(packageVerificationCodeValue: code),
                hasFiles: all.isEmpty ? nil : fileIDs,
                primaryPackagePurpose: Self.purpose(component.name),
                comment: "output of component \(component.name) of \(board) generation \(facts.generation.number) (set \(facts.generation.setHash)); version is its derivation hash, store path \(component.derivation.storeName)"))
            // GENERATED_FROM and BUILD_TOOL_OF say what an input is to SPDX readers; the
            // DEPENDS_ON/HAS_PREREQUISITE beside them are the edges NTIA checkers walk from
            // the described roots, so every package is part of the tree they check.
            relate(envID, "BUILD_TOOL_OF", id)
            relate(id, "HAS_PREREQUISITE", envID)
            for builder in boardFileIDs[component.builder] ?? [] { relate(builder, "BUILD_TOOL_OF", id) }
            for input in component.derivation.inputs {
                switch input.kind {
                case .source:
                    if let other = sourceIDs[input.name] { relate(id, "GENERATED_FROM", other); relate(id, "DEPENDS_ON", other) }
                case .file:
                    for other in boardFileIDs[input.name] ?? [] { relate(id, "GENERATED_FROM", other) }
                case .component:
                    guard let other = componentIDs[input.name] else { continue }
                    if component.name == BuildPlan.romComponent {
                        relate(id, "CONTAINS", other)
                    } else {
                        relate(id, "GENERATED_FROM", other)
                        relate(id, "DEPENDS_ON", other)
                    }
                }
            }
            for package in component.packages { if let deb = debIDs[package] { relate(id, "CONTAINS", deb) } }
        }
        // The OS image's packages: those dpkg lists in the finished image (each pinned by the
        // lock), not the whole pinned closure, part of which mmdebstrap never installs.
        if let osPackages = facts.osInstalled, let osID = componentIDs[BuildPlan.osComponent] {
            for package in osPackages.sorted(by: { $0.name < $1.name }) {
                let id = ids.make("OSDeb-\(package.name)")
                packages.append(.init(
                    SPDXID: id, name: package.name, versionInfo: package.version, supplier: debian,
                    checksums: package.sha256.map { [.init(algorithm: "SHA256", checksumValue: $0)] },
                    externalRefs: [.init(referenceCategory: "PACKAGE-MANAGER", referenceType: "purl",
                                         referenceLocator: facts.purl(name: package.name, version: package.version, arch: package.architecture))],
                    comment: "Debian binary package \(package.name)_\(package.version)_\(package.architecture).deb, installed in the OS image; checksum is the .deb's"))
                relate(osID, "CONTAINS", id)
                relate(osID, "DEPENDS_ON", id)
            }
        }
        // The document describes the outputs nothing else consumes: the ROM and the OS image.
        for component in facts.components where !consumed.contains(component.name) {
            relate("SPDXRef-DOCUMENT", "DESCRIBES", componentIDs[component.name]!)
        }

        let timestamp = ISO8601DateFormatter().string(from: facts.created)
        return SPDXDocument(
            name: "ownerboot-\(board)-generation-\(facts.generation.number)",
            documentNamespace: "https://spdx.org/spdxdocs/ownerboot-\(board)-\(facts.generation.setHash)",
            creationInfo: .init(created: timestamp, creators: ["Tool: ownerboot-\(OwnerbootVersion.current)", "Organization: ownerboot"],
                                comment: "created is the set's SOURCE_DATE_EPOCH, so the same generation gives the same document"),
            comment: "generation \(facts.generation.number) of board \(board), set \(facts.generation.setHash)",
            packages: packages.sorted { $0.SPDXID < $1.SPDXID },
            files: files.sorted { $0.SPDXID < $1.SPDXID },
            relationships: relationships.sorted())
    }

    /// The SBOM's bytes.
    public func write(_ facts: GenerationFacts) throws -> Data { try document(for: facts).encoded() }

    /// For a source built with a Kconfig-style fragment: the fragment's digest and the digest
    /// of the full configuration the component wrote (`config` in its output).
    func configurationNote(for source: String, facts: GenerationFacts) -> String {
        var notes: [String] = []
        for component in facts.components where component.derivation.inputs.contains(where: { $0.kind == .source && $0.name == source }) {
            for input in component.derivation.inputs where input.kind == .file && input.name.hasSuffix(".config") {
                notes.append("configured by board file \(input.name) sha256:\(input.hash)")
            }
            if let config = component.files.first(where: { $0.path == "config" }) {
                notes.append("resulting configuration (\(component.name) output `config`) sha256:\(config.sha256)")
            }
        }
        return notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")
    }

    static func checksums(_ file: OutputFile) -> [SPDXDocument.Checksum] {
        [.init(algorithm: "SHA1", checksumValue: file.sha1), .init(algorithm: "SHA256", checksumValue: file.sha256)]
    }

    static func purpose(_ component: String) -> String? {
        switch component {
        case BuildPlan.romComponent, "firmware": return "FIRMWARE"
        case "kernel", "os": return "OPERATING-SYSTEM"
        default: return nil
        }
    }
}
