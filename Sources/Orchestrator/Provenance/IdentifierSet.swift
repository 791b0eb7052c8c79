/// Hands out SPDX identifiers (`SPDXRef-` + letters, digits, `.` and `-`) made from names that
/// may hold other characters (`libstdc++6`, `initramfs.cpio.gz!/bin/busybox`), each unique in
/// the document: a name that sanitises to one already given gets a numbered suffix. Names are
/// requested in a fixed order, so the same facts give the same identifiers.
struct IdentifierSet {
    private var given: Set<String> = []

    mutating func make(_ name: String) -> String {
        let cleaned = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") ? $0 : "-" })
        var id = "SPDXRef-\(cleaned)"
        var n = 2
        while given.contains(id) { id = "SPDXRef-\(cleaned)-\(n)"; n += 1 }
        given.insert(id)
        return id
    }
}
