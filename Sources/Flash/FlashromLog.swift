import CFlashrom
import Foundation
import Logging

/// Routes libflashrom's messages to swift-log and remembers the chips a probe reported.
///
/// libflashrom has one global log callback and keeps one global state, so this sink is
/// global too; `FlashSession` installs it while it holds the process-wide session gate, which
/// is what makes the unsynchronised globals below safe.
final class FlashromLogSink {
    let logger: Logger
    /// Lines of the current probe that said `Found <vendor> flash chip "<name>" (<n> kB, …)`.
    var foundChips: [ProbedChip] = []
    /// The last ERROR line, to quote when an operation fails.
    var lastError: String?
    private var pending = ""
    private var pendingLevel: UInt32 = FLASHROM_MSG_INFO.rawValue

    init(logger: Logger) {
        self.logger = logger
    }

    /// libflashrom emits messages in fragments; lines are assembled before logging.
    func append(level: UInt32, text: String) {
        if pending.isEmpty { pendingLevel = level }
        pending += text
        while let newline = pending.firstIndex(of: "\n") {
            let line = String(pending[..<newline])
            pending = String(pending[pending.index(after: newline)...])
            emit(level: pendingLevel, line: line)
            pendingLevel = level
        }
    }

    func flush() {
        if !pending.isEmpty { emit(level: pendingLevel, line: pending) }
        pending = ""
    }

    private func emit(level: UInt32, line: String) {
        if let chip = Self.parseFound(line) { foundChips.append(chip) }
        if level == FLASHROM_MSG_ERROR.rawValue, !line.isEmpty { lastError = line }
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        var swiftLevel = Self.swiftLogLevel(level)
        // libflashrom 1.3 tries to clear block protection before every read and write and
        // reports failure as an error; ownerboot reads the protection itself and plans
        // around it, so this is expected on a protected chip.
        if line.contains("Block protection could not be disabled") { swiftLevel = .debug }
        logger.log(level: swiftLevel, "\(line)", metadata: ["source": "libflashrom"])
    }

    /// flashrom's ERROR/WARN stay errors/warnings; its chatty INFO is our debug; the rest trace.
    static func swiftLogLevel(_ level: UInt32) -> Logger.Level {
        switch level {
        case FLASHROM_MSG_ERROR.rawValue: return .error
        case FLASHROM_MSG_WARN.rawValue: return .warning
        case FLASHROM_MSG_INFO.rawValue: return .debug
        default: return .trace
        }
    }

    /// The most detailed flashrom level worth formatting for a logger at `level`: INFO at
    /// least (probe results are read from it), DEBUG2 at trace, never SPEW (16.8 M messages
    /// per 16 MiB read) unless OWNERBOOT_FLASHROM_SPEW=1.
    static func threshold(for level: Logger.Level) -> UInt32 {
        if ProcessInfo.processInfo.environment["OWNERBOOT_FLASHROM_SPEW"] == "1" { return FLASHROM_MSG_SPEW.rawValue }
        switch level {
        case .trace: return FLASHROM_MSG_DEBUG2.rawValue
        case .debug: return FLASHROM_MSG_DEBUG.rawValue
        default: return FLASHROM_MSG_INFO.rawValue
        }
    }

    /// `Found Winbond flash chip "W25Q128.V" (16384 kB, SPI) on dummy.`
    static func parseFound(_ line: String) -> ProbedChip? {
        guard let foundRange = line.range(of: "Found ") ?? line.range(of: "Assuming "),
              let flashChip = line.range(of: " flash chip \"", range: foundRange.upperBound..<line.endIndex)
        else { return nil }
        let vendor = String(line[foundRange.upperBound..<flashChip.lowerBound])
        let afterQuote = line[flashChip.upperBound...]
        guard let closing = afterQuote.firstIndex(of: "\"") else { return nil }
        let name = String(afterQuote[..<closing])
        var size = 0
        let rest = afterQuote[afterQuote.index(after: closing)...]
        if let open = rest.firstIndex(of: "("), let kB = rest.range(of: " kB") {
            size = (Int(rest[rest.index(after: open)..<kB.lowerBound]) ?? 0) * 1024
        }
        return ProbedChip(vendor: vendor, name: name, sizeBytes: size)
    }
}

/// Only touched while the session gate is held (see `FlashromLogSink`).
nonisolated(unsafe) var flashromCurrentSink: FlashromLogSink?
/// Messages above this flashrom level are dropped before they are formatted.
nonisolated(unsafe) var flashromLogThreshold: UInt32 = FLASHROM_MSG_INFO.rawValue

/// The C callback: filter by level first (formatting 16.8 M SPEW messages costs 15 s), then
/// format with vsnprintf and hand the text to the current sink.
func flashromLogCallback(_ level: flashrom_log_level, _ format: UnsafePointer<CChar>?, _ args: CVaListPointer?) -> Int32 {
    guard level.rawValue <= flashromLogThreshold, let format, let args, let sink = flashromCurrentSink else { return 0 }
    var buffer = [CChar](repeating: 0, count: 4096)
    let written = buffer.withUnsafeMutableBufferPointer { vsnprintf($0.baseAddress, $0.count, format, args) }
    guard written > 0 else { return 0 }
    let length = min(Int(written), buffer.count - 1)
    sink.append(level: level.rawValue, text: String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self))
    return written
}
