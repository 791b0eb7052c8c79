import Foundation
import Logging
import Support

/// A whole, safe flash of one image onto one chip:
/// 1. probe, refusing a chip whose name or size is not the target's;
/// 2. refuse an image whose size is not the chip's, or that the identity check rejects;
/// 3. read the write protection and the chip, plan, and refuse before any write when changed
///    blocks are protected (or, by policy, write only the unprotected regions; or, for a flash
///    that must write the protected range too, whenever anything is protected);
/// 4. keep the chip's old contents as `<sha256>.rom` in the backup directory (never overwritten);
/// 5. write only the changed blocks, read the whole chip back, compare SHA-256; retry once,
///    then write the backup back and report both hashes;
/// 6. apply the write-protect policy and read it back;
/// 7. return a `FlashRecord`.
/// A dry run does 1–3 and returns the plan (reading the chip only when asked).
///
/// Guarantees: nothing is written before every check of steps 1–3 passed and the backup is
/// on disk; a failed verification leaves the backup on the chip (or says it could not).
public struct FlashOperation: Sendable {
    public struct Options: Sendable {
        public var backupDirectory: URL
        public var dryRun: Bool
        /// For a dry run: read the chip for an exact plan (slow on real programmers).
        public var dryRunReadsChip: Bool
        public var hooks: FlashTestHooks

        public init(backupDirectory: URL, dryRun: Bool = false, dryRunReadsChip: Bool = false, hooks: FlashTestHooks = FlashTestHooks()) {
            self.backupDirectory = backupDirectory
            self.dryRun = dryRun
            self.dryRunReadsChip = dryRunReadsChip
            self.hooks = hooks
        }
    }

    public var programmer: ProgrammerString
    public var target: ExpectedTarget
    public var identity: (any ImageIdentityCheck)?
    public var options: Options
    public var logger: Logger

    public init(programmer: ProgrammerString, target: ExpectedTarget, identity: (any ImageIdentityCheck)? = nil, options: Options, logger: Logger = Logger(label: "ownerboot.flash")) {
        self.programmer = programmer
        self.target = target
        self.identity = identity
        self.options = options
        self.logger = logger
    }

    /// Flashes the image at `imageURL`. `progress` hears each phase start and end.
    public func run(imageURL: URL, progress: @escaping @Sendable (FlashProgress) -> Void = { _ in }) async throws -> FlashRecord {
        let image = try FlashImage.load(imageURL)
        return try await run(image: image, progress: progress)
    }

    public func run(image: FlashImage, progress: @escaping @Sendable (FlashProgress) -> Void = { _ in }) async throws -> FlashRecord {
        var clock = PhaseClock(progress: progress)
        let started = Date()
        try clock.phase(.checkImage) {
            if let identity { try identity.check(image: image.bytes, path: image.path) }
            if let size = target.chipSize, image.bytes.count != size {
                throw FlashError.imageSizeMismatch(path: image.path, imageSize: image.bytes.count, chipSize: size)
            }
        }
        return try await FlashSession.with(programmer: programmer, logger: logger) { session in
            try flash(image: image, session: session, clock: &clock, started: started)
        }
    }

    private func flash(image: FlashImage, session: FlashSession, clock: inout PhaseClock, started: Date) throws -> FlashRecord {
        // 1. The chip.
        let chip = try clock.phase(.probe) { try session.probe(expectingAnyOf: target.chipNames) }
        if let size = target.chipSize, chip.sizeBytes != size {
            throw FlashError.chipSizeMismatch(chip: chip.name, expected: size, actual: chip.sizeBytes)
        }
        // 2. The image against the chip.
        guard image.bytes.count == chip.sizeBytes else {
            throw FlashError.imageSizeMismatch(path: image.path, imageSize: image.bytes.count, chipSize: chip.sizeBytes)
        }
        // 3. Protection and plan.
        var warnings: [String] = []
        let protection: WriteProtectState
        do {
            protection = try clock.phase(.readWriteProtect) { try session.readWriteProtect() }
        } catch FlashError.writeProtectFailed(_, .chipUnsupported) {
            protection = .unprotected
            warnings.append("libflashrom cannot read this chip's write protection; planned as unprotected")
        }
        if target.writeProtect.requireUnprotected == true, protection.isProtecting {
            throw FlashError.protectionMustBeLifted(protection: protection)
        }
        if let wanted = target.writeProtect.apply, wanted.mode == .permanent, wanted != protection {
            throw FlashError.permanentProtectionRefused(range: wanted.range)
        }
        // A descriptor chip is always read: its layout is on it.
        let readChip = !options.dryRun || options.dryRunReadsChip || target.descriptor != nil
        let current: [UInt8]? = readChip ? try clock.phase(.read, bytes: chip.sizeBytes) { try session.read() } : nil
        // What goes to the chip: the image, or (descriptor chips) the chip's contents with only
        // the written regions taken from the image.
        var contents = image.bytes
        var regions = target.regions
        var descriptorLayout: DescriptorLayout?
        if let policy = target.descriptor, let current {
            let resolved = try clock.phase(.plan) { try DescriptorLayout.resolve(image: image.bytes, chip: current, policy: policy) }
            contents = resolved.contents
            regions = resolved.layout.flashRegions
            descriptorLayout = resolved.layout
        }
        let plan = clock.phase(.plan) {
            FlashPlan.make(image: contents, current: current, eraseBlockSize: target.eraseBlockSize, protection: protection,
                           regions: regions, policy: target.writeProtect.onProtected)
        }
        func record(outcome: FlashRecord.Outcome, expectedHash: String, readbackHash: String?, backup: (path: String, hash: String)?, attempts: Int, after: WriteProtectState?, confirmed: Bool?) -> FlashRecord {
            var durations = clock.durations
            durations["total"] = Date().timeIntervalSince(started)
            return FlashRecord(
                time: started, chip: chip, programmer: programmer.description, imagePath: image.path, imageHash: image.sha256,
                expectedHash: expectedHash, readbackHash: readbackHash, backupPath: backup?.path, backupHash: backup?.hash,
                bytesChanged: plan.bytesChanged, blocksWritten: attempts > 0 ? plan.blocksToWrite : 0,
                bytesWritten: attempts > 0 ? plan.bytesToWrite : 0, regionsSkipped: plan.skippedRegions, writeAttempts: attempts,
                writeProtectBefore: protection, writeProtectAfter: after, writeProtectConfirmed: confirmed,
                outcome: outcome, plan: plan, descriptor: descriptorLayout, durations: durations, warnings: warnings)
        }
        if plan.decision == .refuse {
            throw FlashError.protectedRangeWouldChange(protection: protection, blocks: plan.protectedChangedBlocks)
        }
        if options.dryRun {
            return record(outcome: .planned, expectedHash: descriptorLayout == nil ? image.sha256 : SHA256Digest.hex(contents), readbackHash: nil, backup: nil, attempts: 0, after: nil, confirmed: nil)
        }
        guard let current else { preconditionFailure("a real flash always reads the chip") }

        // 4. Backup.
        let backupHash = SHA256Digest.hex(current)
        let backupURL = options.backupDirectory.appendingPathComponent("\(backupHash).rom")
        try clock.phase(.backup) {
            do {
                try AtomicFile.writeIfAbsent(current, to: backupURL)
            } catch {
                throw FlashError.backupFailed(path: backupURL.path, reason: (error as? FlashError)?.message ?? "\(error)")
            }
        }
        let backup = (path: backupURL.path, hash: backupHash)

        // 5. Write what changes, read back, compare.
        let expected = plan.expectedContents(image: contents, current: current)
        let expectedHash = SHA256Digest.hex(expected)
        var attempts = 0
        var readbackHash = backupHash
        if !plan.writes.isEmpty {
            var verified = false
            while attempts < 2 && !verified {
                attempts += 1
                do {
                    try clock.phase(attempts == 1 ? .write : .retry, bytes: plan.bytesToWrite) {
                        // First attempt: the chip holds `current`, just read. A retry trusts nothing.
                        try session.write(contents, regions: plan.writes, assumingChipHolds: attempts == 1 ? current : nil)
                    }
                    var readback = try clock.phase(.verify, bytes: chip.sizeBytes) { try session.read() }
                    options.hooks.mutateVerificationReadback?(&readback)
                    readbackHash = SHA256Digest.hex(readback)
                    verified = readbackHash == expectedHash
                    if !verified { logger.warning("readback sha256 \(readbackHash) differs from expected \(expectedHash) (attempt \(attempts))") }
                } catch let error as FlashError {
                    logger.error("write attempt \(attempts) failed: \(error.message)")
                    guard case .writeFailed = error else { throw error }
                    // Know what the failed write left on the chip before retrying/restoring.
                    readbackHash = (try? session.read()).map { SHA256Digest.hex($0) } ?? "unreadable"
                }
            }
            if !verified {
                let restored: String? = clock.phase(.restore, bytes: chip.sizeBytes) {
                    do {
                        try session.write(current, regions: nil, assumingChipHolds: nil)
                    } catch {
                        logger.error("writing the backup back failed: \(String(describing: error))")
                    }
                    // Whatever happened, report what the chip now holds.
                    return (try? session.read()).map { SHA256Digest.hex($0) }
                }
                throw FlashError.verificationFailed(expectedHash: expectedHash, readbackHash: readbackHash, backupPath: backup.path, backupHash: backupHash, restoredHash: restored)
            }
        }

        // 6. Write protection.
        var after = protection
        var confirmed: Bool? = nil
        if let wanted = target.writeProtect.apply {
            try clock.phase(.applyWriteProtect) {
                if protection != wanted {
                    do { try session.writeWriteProtect(wanted) } catch {
                        warnings.append("could not apply write protection \(wanted): \((error as? FlashError)?.message ?? "\(error)")")
                    }
                }
                after = try session.readWriteProtect()
            }
            confirmed = after == wanted
            if confirmed == false { warnings.append(FlashError.writeProtectNotApplied(wanted: wanted, actual: after).description) }
        }

        // 7. The record.
        let outcome: FlashRecord.Outcome = plan.writes.isEmpty ? .unchanged : plan.decision == .writeUnprotectedRegions ? .writtenUnprotectedRegions : .written
        return record(outcome: outcome, expectedHash: expectedHash, readbackHash: readbackHash, backup: backup, attempts: attempts, after: after, confirmed: confirmed)
    }
}

/// Ways for tests to make a healthy dummy chip misbehave.
public struct FlashTestHooks: Sendable {
    /// Applied to every verification readback of the new image (not to the restore's).
    public var mutateVerificationReadback: (@Sendable (inout [UInt8]) -> Void)?

    public init(mutateVerificationReadback: (@Sendable (inout [UInt8]) -> Void)? = nil) {
        self.mutateVerificationReadback = mutateVerificationReadback
    }
}

/// Times phases and reports their start and end.
struct PhaseClock {
    let progress: @Sendable (FlashProgress) -> Void
    var durations: [String: Double] = [:]

    init(progress: @escaping @Sendable (FlashProgress) -> Void) {
        self.progress = progress
    }

    mutating func phase<T>(_ phase: FlashProgress.Phase, bytes: Int? = nil, _ body: () throws -> T) rethrows -> T {
        progress(FlashProgress(phase: phase, finished: false, bytes: bytes, seconds: nil))
        let start = Date()
        let result = try body()
        let seconds = Date().timeIntervalSince(start)
        durations[phase.rawValue, default: 0] += seconds
        progress(FlashProgress(phase: phase, finished: true, bytes: bytes, seconds: seconds))
        return result
    }
}
