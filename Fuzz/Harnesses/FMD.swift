import Boot

/// The `.fmd` text parser: parse, resolve, flatten to an FMAP, and check that the FMAP's bytes
/// parse back to the same map.
func fuzzFMD(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    do {
        let descriptor = try FlashMapDescriptor(parsing: text)
        _ = descriptor.cbfsRegionNames
        let map = try descriptor.fmap()
        let again = Fuzz.expectBootError("FMAP.parse(fmap().serialize())") { try FMAP.parse(map.serialize(), at: 0) }
        Fuzz.check(again == map, "the FMAP of a descriptor does not survive serialize/parse")
    } catch is FMDError {
    } catch {
        fatalError("FlashMapDescriptor threw \(type(of: error)): \(error)")
    }
}

