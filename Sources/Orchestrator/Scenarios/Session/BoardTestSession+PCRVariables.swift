import Boot
import Foundation

extension BoardTestSession {
    /// `{pcr0}`…`{pcr7}`: the PCRs predicted for the ROM this scenario boots (fallback path),
    /// `{event0}`…: its predicted measurement log, line by line; `{normal_pcr0}`…,
    /// `{normal_event0}`…: the same for its normal path (an armed normal boot), when it has one;
    /// `{capped_pcr0}`…, `{normal_capped_pcr0}`…: the same once the unlocker capped the TPM
    /// (`UnlockerCap`: what its rescue shell and the OS see);
    /// `{expected_pcr0}`…: those of the built ROM, which the device's owner expects. Equal
    /// unless the scenario boots a tampered ROM. None for `payload` scenarios (no firmware).
    static func pcrVariables(booted: URL, built: URL, firmware: Bool) throws -> [String: String] {
        guard firmware else { return [:] }
        var out: [String: String] = [:]
        for (prefix, url) in [("", booted), ("expected_", built)] {
            let image = [UInt8](try Data(contentsOf: url))
            let paths = PCRPrediction.bootPaths(in: image)
            for path in paths {
                let pathPrefix = prefix + (path == .fallback ? "" : "\(path.name)_")
                let prediction = try PCRPrediction.predict(image: image, path: path)
                for index in 0..<8 {
                    out["\(pathPrefix)pcr\(index)"] = prediction.value(ofPCR: index)
                    out["\(pathPrefix)capped_pcr\(index)"] = prediction.cappedValue(ofPCR: index)
                }
                // `{event0}`…: each predicted event as coreboot's log prints it, as a regex.
                if prefix.isEmpty {
                    for (i, e) in prediction.events.enumerated() {
                        out["\(pathPrefix)event\(i)"] = NSRegularExpression.escapedPattern(for: " PCR-\(e.pcr) \(e.digest) SHA256 [\(e.name)]")
                    }
                }
            }
        }
        return out
    }
}
