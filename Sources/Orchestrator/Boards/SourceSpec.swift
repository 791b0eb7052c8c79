import Foundation

/// A fixed-output source: named by what it is, pinned by the hashes in the lock.
public struct SourceSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// `apt-get source --download-only PACKAGE=VERSION`: the .dsc and its tarballs.
        case debianSource = "debian-source"
        /// `apt-get download PACKAGE=VERSION`: one .deb.
        case debianBinary = "debian-binary"
    }
    public var name: String
    public var kind: Kind
    public var package: String
    public var version: String
}
