/// What a flash would do to a chip, computed without touching hardware: which erase blocks
/// change, which of them lie in the write-protected range, which layout regions may be
/// written, and the resulting decision.
///
/// Guarantees: `writes` never contains a block inside the protected range, and never part of
/// a region that overlaps it (a half-written region is worse than an old one); every block
/// in `writes` is erase-block aligned. Built either from the chip's current contents (exact)
/// or, for a dry run before reading the chip, from the image alone (every block counts as
/// possibly changed).
public struct FlashPlan: Sendable, Codable, Equatable {
    /// What to do when changed blocks fall inside the protected range.
    public enum Policy: String, Sendable, Codable, CaseIterable {
        /// Refuse the whole flash before touching the chip.
        case refuse
        /// Write only the layout regions outside the protected range; leave the others.
        case writableRegionsOnly = "writable-regions-only"
    }

    public enum Decision: String, Sendable, Codable, Equatable {
        /// The chip already holds the image (or every change was skipped).
        case nothingToWrite = "nothing-to-write"
        /// Write every changed block.
        case write
        /// Write the changed blocks of the writable regions; protected regions keep their bytes.
        case writeUnprotectedRegions = "write-unprotected-regions"
        /// Changed blocks are protected and the policy is to refuse.
        case refuse
        /// Contents unknown (dry run): the image overlaps the protected range, so the flash
        /// will be refused unless the chip already holds those bytes.
        case refuseUnlessProtectedRangeUnchanged = "refuse-unless-protected-range-unchanged"
    }

    /// One layout region and what the plan does with it.
    public struct RegionPlan: Sendable, Codable, Equatable {
        public var name: String
        public var range: ByteRange
        /// nil when the chip's contents are not known yet.
        public var changed: Bool?
        public var isProtected: Bool
        public var written: Bool
    }

    public var chipSize: Int
    public var eraseBlockSize: Int
    public var protection: WriteProtectState
    public var policy: Policy
    public var contentsKnown: Bool
    /// Runs of changed (or, contents unknown, possibly changed) erase blocks.
    public var changedBlocks: [ByteRange]
    public var changedBlockCount: Int
    /// Bytes that differ, when the contents are known.
    public var bytesChanged: Int?
    /// The changed runs that lie in the protected range.
    public var protectedChangedBlocks: [ByteRange]
    public var regions: [RegionPlan]
    /// What will be handed to libflashrom as the layout: block-aligned runs, all included.
    public var writes: [FlashRegion]
    public var blocksToWrite: Int
    /// Regions left as they are on the chip although the image changes them.
    public var skippedRegions: [String]
    public var decision: Decision

    public var bytesToWrite: Int { writes.reduce(0) { $0 + $1.range.length } }

    /// Plans writing `image` over `current` (nil: not read yet). `regions` is the board's
    /// layout; without one, the chip is split at the protected range's edges.
    public static func make(
        image: [UInt8], current: [UInt8]?, eraseBlockSize: Int, protection: WriteProtectState,
        regions: [FlashRegion]? = nil, policy: Policy = .refuse
    ) -> FlashPlan {
        precondition(eraseBlockSize > 0, "erase block size must be positive")
        precondition(current == nil || current!.count == image.count, "image and chip sizes differ")
        let size = image.count
        let blockCount = (size + eraseBlockSize - 1) / eraseBlockSize
        func blockRange(_ b: Int) -> ByteRange {
            ByteRange(start: b * eraseBlockSize, length: min(eraseBlockSize, size - b * eraseBlockSize))
        }

        var changed = [Bool](repeating: current == nil, count: blockCount)
        var bytesChanged: Int? = nil
        if let current {
            var total = 0
            image.withUnsafeBytes { new in
                current.withUnsafeBytes { old in
                    for b in 0..<blockCount {
                        let r = blockRange(b)
                        let n = ByteDiff.count(new.baseAddress! + r.start, old.baseAddress! + r.start, r.length)
                        if n > 0 { changed[b] = true; total += n }
                    }
                }
            }
            bytesChanged = total
        }

        let isProtectedBlock = (0..<blockCount).map { protection.isProtecting && blockRange($0).overlaps(protection.range) }
        let layout = regions ?? defaultRegions(size: size, protection: protection)
        // A block belongs to a protected region when any region containing it overlaps the
        // protected range: such regions are skipped whole.
        var inProtectedRegion = [Bool](repeating: false, count: blockCount)
        var regionPlans: [RegionPlan] = []
        for region in layout where !region.range.isEmpty {
            let first = region.range.start / eraseBlockSize
            let last = min(blockCount - 1, (region.range.end - 1) / eraseBlockSize)
            let regionProtected = protection.isProtecting && (first...last).contains { isProtectedBlock[$0] }
            if regionProtected { for b in first...last { inProtectedRegion[b] = true } }
            let regionChanged: Bool? = current == nil ? nil : (first...last).contains { changed[$0] }
            regionPlans.append(RegionPlan(name: region.name, range: region.range, changed: regionChanged, isProtected: regionProtected, written: false))
        }

        let changedIndices = (0..<blockCount).filter { changed[$0] }
        let protectedChanged = changedIndices.filter { isProtectedBlock[$0] }
        var toWrite: [Int] = []
        let decision: Decision
        if changedIndices.isEmpty {
            decision = .nothingToWrite
        } else if protectedChanged.isEmpty {
            toWrite = changedIndices
            decision = .write
        } else if policy == .refuse {
            decision = current == nil ? .refuseUnlessProtectedRangeUnchanged : .refuse
        } else {
            toWrite = changedIndices.filter { !isProtectedBlock[$0] && !inProtectedRegion[$0] }
            decision = toWrite.isEmpty ? .nothingToWrite : .writeUnprotectedRegions
        }
        let writeSet = Set(toWrite)
        for i in regionPlans.indices {
            let r = regionPlans[i].range
            let first = r.start / eraseBlockSize, last = min(blockCount - 1, (r.end - 1) / eraseBlockSize)
            regionPlans[i].written = (first...last).contains { writeSet.contains($0) }
        }
        let skipped = policy == .writableRegionsOnly && !protectedChanged.isEmpty
            ? regionPlans.filter { $0.isProtected && $0.changed != false }.map(\.name) : []

        let runs = coalesce(toWrite, blockSize: eraseBlockSize, size: size)
        return FlashPlan(
            chipSize: size, eraseBlockSize: eraseBlockSize, protection: protection, policy: policy,
            contentsKnown: current != nil,
            changedBlocks: coalesce(changedIndices, blockSize: eraseBlockSize, size: size),
            changedBlockCount: changedIndices.count, bytesChanged: bytesChanged,
            protectedChangedBlocks: coalesce(protectedChanged, blockSize: eraseBlockSize, size: size),
            regions: regionPlans,
            writes: runs.map { FlashRegion(name: "blocks-\(ByteRange.hex($0.start))", range: $0) },
            blocksToWrite: toWrite.count, skippedRegions: skipped, decision: decision)
    }

    /// The chip's contents once the plan is carried out: `current` with `writes` taken from
    /// `image`. This, not the image, is what the readback must equal.
    public func expectedContents(image: [UInt8], current: [UInt8]) -> [UInt8] {
        if decision == .write, blocksToWrite == changedBlockCount { return image }
        var result = current
        for write in writes {
            result.replaceSubrange(write.range.start..<write.range.end, with: image[write.range.start..<write.range.end])
        }
        return result
    }

    /// Without a board layout: the chip split at the protected range's edges ("below-wp",
    /// "write-protected", "above-wp"), or one "chip" region when nothing is protected.
    public static func defaultRegions(size: Int, protection: WriteProtectState) -> [FlashRegion] {
        guard protection.isProtecting else { return [FlashRegion(name: "chip", start: 0, length: size)] }
        let p = protection.range
        var regions: [FlashRegion] = []
        if p.start > 0 { regions.append(FlashRegion(name: "below-wp", start: 0, length: min(p.start, size))) }
        regions.append(FlashRegion(name: "write-protected", start: p.start, length: min(p.end, size) - p.start))
        if p.end < size { regions.append(FlashRegion(name: "above-wp", start: p.end, length: size - p.end)) }
        return regions
    }

    static func coalesce(_ blocks: [Int], blockSize: Int, size: Int) -> [ByteRange] {
        var runs: [ByteRange] = []
        for b in blocks {
            let start = b * blockSize, length = min(blockSize, size - start)
            if let last = runs.last, last.end == start {
                runs[runs.count - 1].length += length
            } else {
                runs.append(ByteRange(start: start, length: length))
            }
        }
        return runs
    }
}

/// Counting differing bytes eight at a time (a byte loop over 16 MiB is slow in debug builds).
enum ByteDiff {
    static func count(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ length: Int) -> Int {
        var n = 0
        var i = 0
        let ones: UInt64 = 0x0101_0101_0101_0101
        while i + 8 <= length {
            var x = a.loadUnaligned(fromByteOffset: i, as: UInt64.self) ^ b.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if x != 0 {
                x |= x >> 4; x |= x >> 2; x |= x >> 1
                n += (x & ones).nonzeroBitCount
            }
            i += 8
        }
        while i < length {
            if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { n += 1 }
            i += 1
        }
        return n
    }
}
