import Boot

/// The Intel flash descriptor; a descriptor that parses and fits version 1's encoder must
/// come back unchanged from `encode`.
func fuzzIFD(_ bytes: [UInt8]) {
    guard let found = Fuzz.expectBootError("IntelFlashDescriptor.find", { try IntelFlashDescriptor.find(in: bytes) }), let descriptor = found else { return }
    Fuzz.check(descriptor.regions.allSatisfy { $0.base <= $0.limit && $0.end <= descriptor.flashSize }, "a region outside the components")
    if (1...2).contains(descriptor.componentSizes.count) {
        let encoded = IntelFlashDescriptor.encode(regions: descriptor.regions, componentSizes: descriptor.componentSizes)
        let again = Fuzz.expectBootError("find(encode())") { try IntelFlashDescriptor.find(in: encoded) }
        Fuzz.check(again??.regions == descriptor.regions && again??.componentSizes == descriptor.componentSizes, "encode/find round trip differs")
    }
}

