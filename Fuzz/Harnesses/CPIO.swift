import Boot

/// cpio "newc" archives: every record up to the trailer.
func fuzzCPIO(_ bytes: [UInt8]) {
    if let records = Fuzz.expectBootError("CPIOArchive.parse", { try CPIOArchive.parse(bytes) }) {
        Fuzz.check(records.reduce(0) { $0 + $1.data.count } <= bytes.count, "records hold more data than the archive")
    }
}

