import Boot
import Foundation

/// The whole inspector, as `ownerboot inspect` and `fleet identify` run it on a chip dump,
/// plus the JSON encoding `inspect --json` prints.
func fuzzInspect(_ bytes: [UInt8]) {
    guard let report = Fuzz.expectBootError("inspect", { try ImageInspector.inspect(bytes) }) else { return }
    Fuzz.check(report.size == bytes.count, "report size differs from the input")
    // JSON grows with the report (an FMAP may list 65535 areas); Foundation's encoder under
    // AddressSanitizer needs ~0.5 ms per area, so only reports of ordinary size are encoded.
    if report.areas.count + report.regions.reduce(0, { $0 + $1.files.count }) <= 512 {
        do { _ = try JSONEncoder().encode(report) } catch { fatalError("report does not encode: \(error)") }
    }
}

