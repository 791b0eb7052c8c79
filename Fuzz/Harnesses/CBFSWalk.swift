import Boot

/// The CBFS walk: the input as one region (modern, 64-byte alignment) and as a legacy image
/// found through its master header; every file's attributes, then its contents.
func fuzzCBFSWalk(_ bytes: [UInt8]) {
    var layouts = [(range: 0..<bytes.count, first: 0, alignment: CBFS.defaultAlignment)]
    layouts += CBFS.regions(in: bytes, fmap: nil).map { ($0.range, $0.firstFileOffset, $0.alignment) }
    for info in layouts {
        Fuzz.expectBootError("walk") {
            let cbfs = try CBFS(image: bytes, range: info.range, firstFileOffset: info.first, alignment: info.alignment)
            var previousEnd = 0
            for file in try cbfs.files() {
                Fuzz.check(file.offset >= previousEnd, "files overlap or go backwards")
                Fuzz.check(file.dataOffset + file.dataSize <= info.range.count, "file data outside the region")
                previousEnd = file.dataOffset + file.dataSize
                _ = file.displayName
                _ = file.hash?.algorithmName
                _ = Fuzz.expectBootError("extract \(file.name)") { try cbfs.extract(file, limit: Fuzz.extractLimit) }
            }
        }
    }
}

