/// ownerboot's own version, as the SBOM's creator tool and the provenance's builder name it.
/// Bump it with each release: a document then says which ownerboot wrote it.
public enum OwnerbootVersion {
    public static let current = "0.1.0"
}
