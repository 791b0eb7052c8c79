import Boot

/// The ownerboot manifest: as JSON bytes, and read from an image (FMAP, CBFS, extract).
func fuzzManifest(_ bytes: [UInt8]) {
    if let manifest = Fuzz.expectBootError("decode", { try OwnerbootManifest.decode(bytes) }) {
        let encoded = Fuzz.expectBootError("encode") { try manifest.encoded() }
        Fuzz.check(encoded.flatMap { try? OwnerbootManifest.decode($0) } == manifest, "manifest does not survive encode/decode")
    }
    _ = Fuzz.expectBootError("read(fromImage:)") { try OwnerbootManifest.read(fromImage: bytes) }
}

