import Foundation
import Support

/// A flashrom programmer string, `name[:param=value,…]`, split into the two arguments
/// `flashrom_programmer_init` takes and checked against the programmers ownerboot supports.
public struct ProgrammerString: Sendable, Codable, Hashable, CustomStringConvertible {
    /// The programmers ownerboot drives and documents.
    public static let supported = ["dummy", "ft2232_spi", "ch341a_spi", "linux_spi", "serprog", "internal"]

    public var name: String
    public var parameters: String?

    public init(name: String, parameters: String? = nil) {
        self.name = name
        self.parameters = parameters
    }

    /// Parses `dummy:emulate=W25Q128FV,image=chip.bin`. Throws for an empty or unknown name
    /// (with the closest supported one).
    public init(parsing text: String) throws(FlashError) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let name = parts.first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
        guard Self.supported.contains(name) else {
            let prefixed = name.isEmpty ? nil : Self.supported.first { $0.hasPrefix(name) }
            throw .unknownProgrammer(name: name, suggestion: prefixed ?? NearMiss.closest(to: name, in: Self.supported))
        }
        self.name = name
        if parts.count == 2, !parts[1].isEmpty { parameters = String(parts[1]) } else { parameters = nil }
    }

    public var description: String {
        if let parameters { return "\(name):\(parameters)" }
        return name
    }
}
