import Boot

/// ELF through libelf, and the shared-library closure of a hostile executable (every path it
/// names resolves to the same bytes, so DT_NEEDED chains and $ORIGIN are exercised).
func fuzzELF(_ bytes: [UInt8]) {
    guard Fuzz.expectBootError("ELFFile", { try ELFFile(parsing: bytes) }) != nil else { return }
    var lookups = 0
    _ = Fuzz.expectBootError("SharedLibraryClosure") {
        try SharedLibraryClosure.compute(executable: "/bin/x", searchPaths: ["/lib"]) { path in
            lookups += 1
            return path.hasPrefix("/lib/") || path == "/bin/x" ? bytes : nil
        }
    }
}

