/// Sizes as people write them in board files: "16MiB", "8 MiB", "4096KiB", "0x1000000", "512".
public enum ByteSize {
    public static func parse(_ text: String) -> Int? {
        let t = text.replacingOccurrences(of: " ", with: "")
        if t.lowercased().hasPrefix("0x") { return Int(t.dropFirst(2), radix: 16) }
        let units: [(String, Int)] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10), ("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10), ("B", 1)]
        for (suffix, factor) in units where t.hasSuffix(suffix) {
            guard let n = Int(t.dropLast(suffix.count)), n >= 0 else { return nil }
            return n * factor
        }
        return Int(t)
    }

    /// "16 MiB" for exact binary multiples, otherwise the byte count.
    public static func format(_ bytes: Int) -> String {
        if bytes >= 1 << 20, bytes % (1 << 20) == 0 { return "\(bytes >> 20) MiB" }
        if bytes >= 1 << 10, bytes % (1 << 10) == 0 { return "\(bytes >> 10) KiB" }
        return "\(bytes) B"
    }
}
