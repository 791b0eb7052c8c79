/// BLAKE2b (RFC 7693), unkeyed, with any digest length from 1 to 64 bytes. minisign needs it
/// and swift-crypto does not offer it: a prehashed ("ED") signature signs BLAKE2b-512 of the
/// message, and a secret key file carries a BLAKE2b-256 checksum. Checked against RFC 7693's
/// test vector, Python's `hashlib.blake2b` and the real `minisign` in the tests.
public struct BLAKE2b: Sendable {
    static let iv: [UInt64] = [
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
    ]
    /// The message schedule, one row of 16 word indices per round (rounds 10 and 11 reuse 0 and 1).
    static let sigma: [Int] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
    ]

    private var h: [UInt64]
    /// Bytes not yet compressed: at most one block, kept until more input (or the end) shows
    /// whether it is the last block, which is compressed with the final flag.
    private var buffer: [UInt8] = []
    private var counter: UInt64 = 0
    public let digestLength: Int

    public init(digestLength: Int = 64) {
        precondition((1...64).contains(digestLength), "BLAKE2b digests are 1 to 64 bytes")
        self.digestLength = digestLength
        h = Self.iv
        h[0] ^= 0x0101_0000 ^ UInt64(digestLength)
    }

    /// The digest of `bytes` in one call.
    public static func hash<Bytes: Sequence>(_ bytes: Bytes, digestLength: Int = 64) -> [UInt8] where Bytes.Element == UInt8 {
        var hasher = BLAKE2b(digestLength: digestLength)
        hasher.update(bytes)
        return hasher.finalize()
    }

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil { Array(bytes).withUnsafeBytes { update($0) } }
    }

    private mutating func update(_ input: UnsafeRawBufferPointer) {
        var offset = 0
        if !buffer.isEmpty {
            let take = min(128 - buffer.count, input.count)
            buffer.append(contentsOf: input[0..<take])
            offset = take
            guard offset < input.count else { return }
            // More input follows, so the full buffer is not the last block.
            counter &+= 128
            buffer.withUnsafeBytes { compress($0, at: 0, last: false) }
            buffer.removeAll(keepingCapacity: true)
        }
        // Whole blocks straight from the input, always keeping the last (partial or full)
        // block back for finalize.
        while input.count - offset > 128 {
            counter &+= 128
            compress(input, at: offset, last: false)
            offset += 128
        }
        buffer.append(contentsOf: input[offset...])
    }

    public func finalize() -> [UInt8] {
        var copy = self
        copy.counter &+= UInt64(copy.buffer.count)
        let block = copy.buffer + [UInt8](repeating: 0, count: 128 - copy.buffer.count)
        block.withUnsafeBytes { copy.compress($0, at: 0, last: true) }
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for word in copy.h {
            for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        return Array(out.prefix(digestLength))
    }

    private mutating func compress(_ bytes: UnsafeRawBufferPointer, at offset: Int, last: Bool) {
        var m = [UInt64](repeating: 0, count: 16)
        var v = h + Self.iv
        v[12] ^= counter
        // The counter is 128 bits; messages here never reach 2^64 bytes, so its high half is 0.
        if last { v[14] = ~v[14] }
        m.withUnsafeMutableBufferPointer { m in
            for i in 0..<16 { m[i] = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + i * 8, as: UInt64.self)) }
            v.withUnsafeMutableBufferPointer { v in
                Self.sigma.withUnsafeBufferPointer { sigma in
                    @inline(__always) func g(_ a: Int, _ b: Int, _ c: Int, _ d: Int, _ x: UInt64, _ y: UInt64) {
                        v[a] = v[a] &+ v[b] &+ x
                        v[d] = (v[d] ^ v[a]).rotatedRight(32)
                        v[c] = v[c] &+ v[d]
                        v[b] = (v[b] ^ v[c]).rotatedRight(24)
                        v[a] = v[a] &+ v[b] &+ y
                        v[d] = (v[d] ^ v[a]).rotatedRight(16)
                        v[c] = v[c] &+ v[d]
                        v[b] = (v[b] ^ v[c]).rotatedRight(63)
                    }
                    for round in 0..<12 {
                        let s = (round % 10) * 16
                        g(0, 4, 8, 12, m[sigma[s]], m[sigma[s + 1]])
                        g(1, 5, 9, 13, m[sigma[s + 2]], m[sigma[s + 3]])
                        g(2, 6, 10, 14, m[sigma[s + 4]], m[sigma[s + 5]])
                        g(3, 7, 11, 15, m[sigma[s + 6]], m[sigma[s + 7]])
                        g(0, 5, 10, 15, m[sigma[s + 8]], m[sigma[s + 9]])
                        g(1, 6, 11, 12, m[sigma[s + 10]], m[sigma[s + 11]])
                        g(2, 7, 8, 13, m[sigma[s + 12]], m[sigma[s + 13]])
                        g(3, 4, 9, 14, m[sigma[s + 14]], m[sigma[s + 15]])
                    }
                }
            }
        }
        for i in 0..<8 { h[i] ^= v[i] ^ v[i + 8] }
    }
}

extension UInt64 {
    fileprivate func rotatedRight(_ n: UInt64) -> UInt64 { (self >> n) | (self << (64 - n)) }
}
