import Boot

/// CBFS editing on a hostile region: adding a file and removing each file must either throw a
/// BootError or leave a region that walks, keeps the image size and (after an add) holds the
/// new file's bytes. The first input byte sizes the added file; the rest is the region.
func fuzzCBFSEdit(_ input: [UInt8]) {
    guard let first = input.first else { return }
    let region = Array(input.dropFirst())
    let content = [UInt8](repeating: 0xa5, count: Int(first) * 7)
    // The region's alignment as a legacy master header states it (4 to 64 KiB), else 64.
    let alignment = CBFS.regions(in: region, fmap: nil).first?.alignment ?? CBFS.defaultAlignment
    for align in Set([alignment, CBFS.defaultAlignment]) {
        var image = region
        let added = Fuzz.expectBootError("addRaw") {
            try CBFS.addRaw(to: &image, region: 0..<image.count, name: "fuzz/new", data: content, alignment: align)
        }
        Fuzz.check(image.count == region.count, "addRaw changed the image size")
        if added != nil {
            let back = Fuzz.expectBootError("walk after add") {
                try CBFS(image: image, range: 0..<image.count, alignment: align).extract(named: "fuzz/new")
            }
            Fuzz.check(back == content, "the added file does not read back")
        }
        guard let files = Fuzz.expectBootError("walk", { try CBFS(image: region, range: 0..<region.count, alignment: align).files() }) else { continue }
        // remove() deletes the first file of a name (as cbfstool does); a hostile region may
        // repeat names, so each name is removed once and checked at its first occurrence.
        var seen = Set<String>()
        for file in files.prefix(16) where !file.type.isFree && !file.name.isEmpty && seen.insert(file.name).inserted {
            var copy = region
            let removed: Void? = Fuzz.expectBootError("remove \(file.name)") {
                try CBFS.remove(from: &copy, region: 0..<copy.count, name: file.name, alignment: align)
            }
            Fuzz.check(copy.count == region.count, "remove changed the image size")
            if removed != nil {
                let after = Fuzz.expectBootError("walk after remove") { try CBFS(image: copy, range: 0..<copy.count, alignment: align).files() }
                if let after {
                    Fuzz.check(!after.contains { $0.offset == file.offset && $0.name == file.name && !$0.type.isFree }, "removed file still there")
                }
            }
        }
    }
}

