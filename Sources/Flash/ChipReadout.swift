import Foundation
import Logging
import Support

/// Reading a chip into a file and comparing a chip with an image: the read-only operations
/// behind `ownerboot read` and `ownerboot verify`.
public enum ChipReadout {
    public struct ReadResult: Sendable, Codable, Equatable {
        public var chip: ProbedChip
        public var path: String
        public var sha256: String
        public var seconds: Double
    }

    public struct VerifyResult: Sendable, Codable, Equatable {
        public var chip: ProbedChip
        public var imagePath: String
        public var imageHash: String
        public var chipHash: String
        public var matches: Bool
        /// The first differing offset and how many bytes differ, when they do.
        public var firstDifference: Int?
        public var bytesDiffering: Int?
        public var seconds: Double
    }

    /// Reads the whole chip into `output` (written atomically: never half a file).
    public static func read(programmer: ProgrammerString, chipName: String? = nil, chipNames: [String] = [], to output: URL, logger: Logger = Logger(label: "ownerboot.flash")) async throws -> ReadResult {
        let start = Date()
        let (chip, bytes) = try await FlashSession.with(programmer: programmer, logger: logger) { session in
            let chip = try session.probe(expectingAnyOf: chipNames.isEmpty ? (chipName.map { [$0] } ?? []) : chipNames)
            return (chip, try session.read())
        }
        try AtomicFile.write(bytes, to: output)
        return ReadResult(chip: chip, path: output.path, sha256: SHA256Digest.hex(bytes), seconds: Date().timeIntervalSince(start))
    }

    /// Reads the chip and compares it with the image at `imageURL`.
    public static func verify(programmer: ProgrammerString, chipName: String? = nil, chipNames: [String] = [], image imageURL: URL, logger: Logger = Logger(label: "ownerboot.flash")) async throws -> VerifyResult {
        let start = Date()
        let image = try FlashImage.load(imageURL)
        let (chip, bytes) = try await FlashSession.with(programmer: programmer, logger: logger) { session in
            let chip = try session.probe(expectingAnyOf: chipNames.isEmpty ? (chipName.map { [$0] } ?? []) : chipNames)
            guard image.bytes.count == chip.sizeBytes else {
                throw FlashError.imageSizeMismatch(path: image.path, imageSize: image.bytes.count, chipSize: chip.sizeBytes)
            }
            return (chip, try session.read())
        }
        let chipHash = SHA256Digest.hex(bytes)
        var first: Int? = nil, differing: Int? = nil
        if chipHash != image.sha256 {
            image.bytes.withUnsafeBytes { a in
                bytes.withUnsafeBytes { b in
                    differing = ByteDiff.count(a.baseAddress!, b.baseAddress!, a.count)
                    first = (0..<a.count).first { a[$0] != b[$0] }
                }
            }
        }
        return VerifyResult(chip: chip, imagePath: image.path, imageHash: image.sha256, chipHash: chipHash, matches: chipHash == image.sha256,
                            firstDifference: first, bytesDiffering: differing, seconds: Date().timeIntervalSince(start))
    }
}
