import Boot

/// FMAP: the map at offset 0, the search for one anywhere, and a serialize/parse round trip.
func fuzzFMAP(_ bytes: [UInt8]) {
    if let map = Fuzz.expectBootError("FMAP.parse", { try FMAP.parse(bytes, at: 0) }) {
        for area in map.areas {
            _ = map.hasChildren(area)
            _ = Fuzz.expectBootError("FMAPArea.range") { try area.range(inImageOf: bytes.count) }
        }
        _ = map.areas.map(\.flags.names)
        let again = Fuzz.expectBootError("FMAP.parse(serialize())") { try FMAP.parse(map.serialize(), at: 0) }
        Fuzz.check(again != nil, "a parsed map serializes to bytes that do not parse")
        if let again {
            Fuzz.check(again.base == map.base && again.size == map.size && again.versionMinor == map.versionMinor, "header changed in a round trip")
            Fuzz.check(again.areas.map { [$0.offset, $0.size, UInt32($0.flags.rawValue)] } == map.areas.map { [$0.offset, $0.size, UInt32($0.flags.rawValue)] },
                       "areas changed in a round trip")
        }
    }
    if let (offset, map) = FMAP.locate(in: bytes) {
        Fuzz.check(offset >= 0 && offset + FMAP.headerSize <= bytes.count, "located map outside the input")
        _ = map.areas.map { map.hasChildren($0) }
    }
}

