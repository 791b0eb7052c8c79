import CFlashrom
import Foundation
import Logging

/// One open libflashrom session: the library initialised, a programmer up, at most one probed
/// chip, and every operation ownerboot needs on it (read, write with a layout, verify,
/// write protection).
///
/// Guarantees: sessions never overlap inside a process — `with` holds a process-wide gate from
/// `flashrom_init` to `flashrom_shutdown`, so a second caller waits (blocking or suspended)
/// instead of corrupting libflashrom's global state; and the programmer and library are shut
/// down on every path out of `with`, errors included. A session must not escape its closure:
/// once closed, every operation throws `FlashError.sessionClosed`.
public final class FlashSession {
    public let programmer: ProgrammerString
    /// The chip the last successful `probe` found.
    public private(set) var chip: ProbedChip?

    private let sink: FlashromLogSink
    private var programmerHandle: OpaquePointer?
    private var flash: OpaquePointer?
    private var isOpen = false

    /// Opens a session on `programmer`, runs `body`, shuts everything down. Suspends (without
    /// holding a thread) while another session of this process is open. There is deliberately
    /// no blocking form: a thread blocked on the gate in Swift's small cooperative pool could
    /// starve the task that holds it.
    public static func with<T>(
        programmer: ProgrammerString, logger: Logger = Logger(label: "ownerboot.flash"),
        _ body: (FlashSession) throws -> T
    ) async throws -> T {
        await SessionGate.shared.acquire()
        defer { SessionGate.shared.release() }
        let session = FlashSession(programmer: programmer, logger: logger)
        defer { session.close() }
        try session.open()
        return try body(session)
    }

    private init(programmer: ProgrammerString, logger: Logger) {
        self.programmer = programmer
        self.sink = FlashromLogSink(logger: logger)
    }

    private func open() throws(FlashError) {
        flashromCurrentSink = sink
        flashromLogThreshold = FlashromLogSink.threshold(for: sink.logger.logLevel)
        let rc = flashrom_init(1)
        guard rc == 0 else {
            flashromCurrentSink = nil
            throw .initFailed(code: rc)
        }
        flashrom_set_log_callback(flashromLogCallback)
        isOpen = true
        var handle: OpaquePointer?
        // libflashrom 1.3.0 may return 0 and leave the handle NULL; NULL is still a valid
        // argument to probe and shutdown, so success is judged by the return code only.
        let prc = flashrom_programmer_init(&handle, programmer.name, programmer.parameters)
        guard prc == 0 else {
            throw .programmerInitFailed(programmer: programmer.description, detail: sink.lastError)
        }
        programmerHandle = handle
        programmerUp = true
    }

    private var programmerUp = false

    private func close() {
        if let flash { flashrom_flash_release(flash) }
        flash = nil
        if programmerUp { flashrom_programmer_shutdown(programmerHandle) }
        programmerUp = false
        if isOpen { flashrom_shutdown() }
        isOpen = false
        sink.flush()
        flashromCurrentSink = nil
    }

    private func context() throws(FlashError) -> OpaquePointer {
        guard isOpen else { throw .sessionClosed }
        guard let flash else { throw .notProbed }
        return flash
    }

    // MARK: Probing

    /// Probes for `expectedName` (flashrom's chip name) or for any chip. Throws `.chipMismatch`
    /// when a different chip answers, `.multipleChips` when several definitions match.
    @discardableResult
    public func probe(expecting expectedName: String? = nil) throws(FlashError) -> ProbedChip {
        guard isOpen else { throw .sessionClosed }
        if let flash { flashrom_flash_release(flash) }
        flash = nil
        chip = nil
        sink.foundChips = []
        var ctx: OpaquePointer?
        let rc = flashrom_flash_probe(&ctx, programmerHandle, expectedName)
        sink.flush()
        switch rc {
        case 0:
            guard let ctx else { throw .noChip(programmer: programmer.description) }
            flash = ctx
            let size = Int(flashrom_flash_getsize(ctx))
            var found = sink.foundChips.last ?? ProbedChip(vendor: "", name: expectedName ?? "unknown", sizeBytes: size)
            found.sizeBytes = size
            chip = found
            return found
        case 3:
            throw .multipleChips(names: sink.foundChips.map(\.name))
        case 2:
            guard let expectedName else { throw .noChip(programmer: programmer.description) }
            // Something else may be there: probe for anything to name it in the error.
            sink.foundChips = []
            var other: OpaquePointer?
            let anyRC = flashrom_flash_probe(&other, programmerHandle, nil)
            sink.flush()
            if let other { flashrom_flash_release(other) }
            let names = sink.foundChips.map(\.name)
            if anyRC == 0 || anyRC == 3, !names.isEmpty {
                throw .chipMismatch(expected: expectedName, found: names)
            }
            throw .noChip(programmer: programmer.description)
        default:
            throw .operationFailed(operation: "probe", code: rc)
        }
    }

    /// Probes for each name in turn and returns the first chip found; no names probes for any
    /// chip. Boards list several parts (and flashrom tells chips sharing an ID apart only by
    /// name), so a mismatch is reported against all of them.
    public func probe(expectingAnyOf names: [String]) throws(FlashError) -> ProbedChip {
        guard names.count > 1 else { return try probe(expecting: names.first) }
        var found: [String] = []
        for name in names {
            do { return try probe(expecting: name) } catch {
                switch error {
                case .chipMismatch(_, let others): found += others.filter { !found.contains($0) }
                case .noChip: continue
                default: throw error
                }
            }
        }
        if found.isEmpty { throw .noChip(programmer: programmer.description) }
        throw .chipMismatch(expected: names.joined(separator: " or "), found: found)
    }

    /// The probed chip's size in bytes.
    public func size() throws(FlashError) -> Int {
        Int(flashrom_flash_getsize(try context()))
    }

    // MARK: Reading, writing, verifying

    /// Reads the whole chip.
    public func read() throws(FlashError) -> [UInt8] {
        let ctx = try context()
        let size = Int(flashrom_flash_getsize(ctx))
        var buffer = [UInt8](repeating: 0xff, count: size)
        let rc = buffer.withUnsafeMutableBytes { flashrom_image_read(ctx, $0.baseAddress, $0.count) }
        sink.flush()
        guard rc == 0 else { throw .operationFailed(operation: "read", code: rc) }
        return buffer
    }

    /// Writes `image` (the size of the chip). With `regions`, only those are touched (their
    /// erase blocks); without, the whole chip. `assumingChipHolds` skips libflashrom's own
    /// read of the current contents when the caller has just read them. libflashrom's own
    /// verification is off: callers read back and compare hashes themselves.
    public func write(_ image: [UInt8], regions: [FlashRegion]? = nil, assumingChipHolds reference: [UInt8]? = nil) throws(FlashError) {
        let ctx = try context()
        let size = Int(flashrom_flash_getsize(ctx))
        guard image.count == size else { throw .imageSizeMismatch(path: nil, imageSize: image.count, chipSize: size) }
        if let reference, reference.count != size { throw .imageSizeMismatch(path: nil, imageSize: reference.count, chipSize: size) }
        flashrom_flag_set(ctx, FLASHROM_FLAG_VERIFY_AFTER_WRITE, false)
        var copy = image  // libflashrom may alter the buffer it is given
        let rc: Int32 = try withLayout(regions, on: ctx) {
            copy.withUnsafeMutableBytes { buffer in
                if let reference {
                    return reference.withUnsafeBytes { flashrom_image_write(ctx, buffer.baseAddress, buffer.count, $0.baseAddress) }
                }
                return flashrom_image_write(ctx, buffer.baseAddress, buffer.count, nil)
            }
        }
        sink.flush()
        switch rc {
        case 0: return
        case 2: throw .writeFailed(chipChanged: true, code: rc)
        default: throw .writeFailed(chipChanged: false, code: rc)
        }
    }

    /// Compares the chip (or the given regions of it) with `image` through libflashrom.
    public func verify(_ image: [UInt8], regions: [FlashRegion]? = nil) throws(FlashError) -> Bool {
        let ctx = try context()
        let rc: Int32 = try withLayout(regions, on: ctx) {
            image.withUnsafeBytes { flashrom_image_verify(ctx, $0.baseAddress, $0.count) }
        }
        sink.flush()
        switch rc {
        case 0: return true
        case 3: return false
        case 2: throw .imageSizeMismatch(path: nil, imageSize: image.count, chipSize: Int(flashrom_flash_getsize(ctx)))
        default: throw .operationFailed(operation: "verify", code: rc)
        }
    }

    /// Runs `body` with a layout holding exactly `regions` (all included) set on the context,
    /// and resets the context to its default whole-chip layout afterwards.
    private func withLayout<T>(_ regions: [FlashRegion]?, on ctx: OpaquePointer, _ body: () throws(FlashError) -> T) throws(FlashError) -> T {
        guard let regions else { return try body() }
        guard !regions.isEmpty else { throw .operationFailed(operation: "layout (no regions)", code: 1) }
        var layout: OpaquePointer?
        guard flashrom_layout_new(&layout) == 0, let layout else { throw .operationFailed(operation: "layout_new", code: 1) }
        defer { flashrom_layout_release(layout) }
        for region in regions {
            let rc = flashrom_layout_add_region(layout, region.range.start, region.range.end - 1, region.name)
            guard rc == 0 else { throw .operationFailed(operation: "layout_add_region \(region.name)", code: rc) }
            let irc = flashrom_layout_include_region(layout, region.name)
            guard irc == 0 else { throw .operationFailed(operation: "layout_include_region \(region.name)", code: irc) }
        }
        flashrom_layout_set(ctx, layout)
        defer { flashrom_layout_set(ctx, nil) }
        return try body()
    }

    // MARK: Write protection

    /// The chip's current write-protect range and mode.
    public func readWriteProtect() throws(FlashError) -> WriteProtectState {
        let ctx = try context()
        var cfg: OpaquePointer?
        guard flashrom_wp_cfg_new(&cfg) == FLASHROM_WP_OK, let cfg else { throw .operationFailed(operation: "wp_cfg_new", code: 1) }
        defer { flashrom_wp_cfg_release(cfg) }
        let rc = flashrom_wp_read_cfg(cfg, ctx)
        sink.flush()
        guard rc == FLASHROM_WP_OK else { throw .writeProtectFailed(operation: "read", result: WriteProtectResult(rc)) }
        var start = 0, length = 0
        flashrom_wp_get_range(&start, &length, cfg)
        return WriteProtectState(range: ByteRange(start: start, length: length), mode: WriteProtectMode(flashrom_wp_get_mode(cfg)))
    }

    /// Writes a write-protect configuration (libflashrom reads it back to verify).
    public func writeWriteProtect(_ state: WriteProtectState) throws(FlashError) {
        let ctx = try context()
        var cfg: OpaquePointer?
        guard flashrom_wp_cfg_new(&cfg) == FLASHROM_WP_OK, let cfg else { throw .operationFailed(operation: "wp_cfg_new", code: 1) }
        defer { flashrom_wp_cfg_release(cfg) }
        flashrom_wp_set_range(cfg, state.range.start, state.range.length)
        flashrom_wp_set_mode(cfg, state.mode.flashrom)
        let rc = flashrom_wp_write_cfg(ctx, cfg)
        sink.flush()
        guard rc == FLASHROM_WP_OK else { throw .writeProtectFailed(operation: "write \(state)", result: WriteProtectResult(rc)) }
    }

    /// The protection ranges the chip can express.
    public func availableWriteProtectRanges() throws(FlashError) -> [ByteRange] {
        let ctx = try context()
        var ranges: OpaquePointer?
        let rc = flashrom_wp_get_available_ranges(&ranges, ctx)
        sink.flush()
        guard rc == FLASHROM_WP_OK, let ranges else { throw .writeProtectFailed(operation: "list ranges", result: WriteProtectResult(rc)) }
        defer { flashrom_wp_ranges_release(ranges) }
        let count = flashrom_wp_ranges_get_count(ranges)
        var result: [ByteRange] = []
        for index in 0..<count {
            var start = 0, length = 0
            if flashrom_wp_ranges_get_range(&start, &length, ranges, UInt32(index)) == FLASHROM_WP_OK {
                result.append(ByteRange(start: start, length: length))
            }
        }
        return result
    }
}
