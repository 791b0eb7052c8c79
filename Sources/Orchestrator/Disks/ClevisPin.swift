import Foundation

/// One Clevis pin and its configuration, as `clevis luks bind PIN CONFIG` takes it and as an
/// sss pin lists its children (`{"t":N,"pins":{"tang":[…],"tpm2":[…]}}`).
public enum ClevisPin: Sendable, Equatable {
    /// A tang server: `url` is where the device reaches it at boot; `advertisement` the
    /// server's signed advertisement (a JWS file), so binding needs no network.
    case tang(url: String, advertisement: URL?)
    /// The TPM2 pin sealed to predicted PCR values (SHA-256 bank).
    case tpm2(ClevisBinder.TPM2Policy)

    /// Clevis's name of the pin.
    public var name: String {
        switch self {
        case .tang: return "tang"
        case .tpm2: return "tpm2"
        }
    }

    /// The pin's configuration as a JSON object (text).
    public func configuration() throws -> String {
        switch self {
        case .tang(let url, let advertisement):
            var config = ["url": url]
            if let advertisement { config["adv"] = advertisement.path }
            return String(decoding: try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        case .tpm2(let policy):
            return try policy.clevisConfiguration()
        }
    }

    /// The sss pin's configuration: `threshold` of `pins` recover the key (Clevis groups the
    /// children by pin name, each name a list, in the order given).
    public static func sssConfiguration(threshold: Int, pins: [ClevisPin]) throws -> String {
        guard !pins.isEmpty, threshold >= 1, threshold <= pins.count else { throw DiskError.badThreshold(threshold: threshold, pins: pins.count) }
        var names: [String] = []
        var groups: [String: [String]] = [:]
        for pin in pins {
            if groups[pin.name] == nil { names.append(pin.name) }
            groups[pin.name, default: []].append(try pin.configuration())
        }
        let members = names.map { "\"\($0)\":[\(groups[$0]!.joined(separator: ","))]" }.joined(separator: ",")
        return "{\"t\":\(threshold),\"pins\":{\(members)}}"
    }
}
