import Foundation

/// The subset of SPDX 2.3's JSON model (spdx.github.io/spdx-spec/v2.3) ownerboot writes:
/// document, packages, files, relationships. Field names are the JSON keys; absent optionals
/// are left out. Encoded with sorted keys, so equal documents are equal bytes.
public struct SPDXDocument: Codable, Sendable, Equatable {
    public struct CreationInfo: Codable, Sendable, Equatable {
        public var created: String
        public var creators: [String]
        public var comment: String?
    }

    public struct Checksum: Codable, Sendable, Equatable {
        public var algorithm: String
        public var checksumValue: String
    }

    public struct ExternalRef: Codable, Sendable, Equatable {
        public var referenceCategory: String
        public var referenceType: String
        public var referenceLocator: String
    }

    public struct VerificationCode: Codable, Sendable, Equatable {
        public var packageVerificationCodeValue: String
    }

    public struct Package: Codable, Sendable, Equatable {
        public var SPDXID: String
        public var name: String
        public var versionInfo: String
        public var supplier: String
        public var downloadLocation: String = "NOASSERTION"
        public var filesAnalyzed: Bool = false
        public var packageVerificationCode: VerificationCode?
        public var hasFiles: [String]?
        public var checksums: [Checksum]?
        public var externalRefs: [ExternalRef]?
        public var primaryPackagePurpose: String?
        public var comment: String?
        public var licenseConcluded: String = "NOASSERTION"
        public var licenseDeclared: String = "NOASSERTION"
        public var copyrightText: String = "NOASSERTION"
    }

    public struct File: Codable, Sendable, Equatable {
        public var SPDXID: String
        public var fileName: String
        public var checksums: [Checksum]
        public var comment: String?
        public var licenseConcluded: String = "NOASSERTION"
        public var copyrightText: String = "NOASSERTION"
    }

    public struct Relationship: Codable, Sendable, Equatable, Comparable {
        public var spdxElementId: String
        public var relationshipType: String
        public var relatedSpdxElement: String

        public static func < (a: Relationship, b: Relationship) -> Bool {
            (a.spdxElementId, a.relationshipType, a.relatedSpdxElement) < (b.spdxElementId, b.relationshipType, b.relatedSpdxElement)
        }
    }

    public var spdxVersion = "SPDX-2.3"
    public var dataLicense = "CC0-1.0"
    public var SPDXID = "SPDXRef-DOCUMENT"
    public var name: String
    public var documentNamespace: String
    public var creationInfo: CreationInfo
    public var comment: String?
    public var packages: [Package]
    public var files: [File]
    public var relationships: [Relationship]

    /// Pretty JSON, keys sorted, trailing newline.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }
}
