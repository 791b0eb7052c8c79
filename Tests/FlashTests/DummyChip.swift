import Boot
import Flash
import Foundation
import Logging

/// A dummy-programmer chip backed by its own image file in a fresh temporary directory:
/// libflashrom's emulated W25Q128FV loads the file at programmer init and writes it back at
/// shutdown, so the file is the chip between sessions.
struct DummyChip {
    static let size = 16 << 20
    let directory: URL
    let imageURL: URL
    /// Status register 1 at each session start (the dummy does not keep it between sessions).
    var spiStatus: String?
    var hardwareWP: Bool
    /// Appended to the programmer parameters (e.g. ",spi_blacklist=02").
    var extraParameters = ""
    /// The chip libflashrom's dummy emulates (MX25L6436: 8 MiB, an X230's bottom chip).
    var emulation = "W25Q128FV"

    /// `protected`: SR1=0x94 (SRP0, BP2|BP0: upper 1/4) with WP# asserted.
    init(contents: [UInt8]? = nil, protected: Bool = false) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-flash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        imageURL = directory.appendingPathComponent("chip.bin")
        spiStatus = protected ? "0x94" : nil
        hardwareWP = protected
        try Data(contents ?? DummyChip.pattern(seed: 1)).write(to: imageURL)
    }

    var programmer: ProgrammerString {
        var params = "emulate=\(emulation),image=\(imageURL.path)"
        if let spiStatus { params += ",spi_status=\(spiStatus)" }
        if hardwareWP { params += ",hwwp=yes" }
        params += extraParameters
        return ProgrammerString(name: "dummy", parameters: params)
    }

    var contents: [UInt8] { (try? [UInt8](Data(contentsOf: imageURL))) ?? [] }

    /// libflashrom's expected complaints (a failing write, a protected chip) stay out of
    /// the test output.
    static let quietLogger: Logger = {
        var logger = Logger(label: "ownerboot.flash.test")
        logger.logLevel = .critical
        return logger
    }()

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func remove() { try? FileManager.default.removeItem(at: directory) }

    /// Deterministic, non-repeating bytes (xorshift), so every erase block differs.
    static func pattern(seed: UInt64, count: Int = size) -> [UInt8] {
        SyntheticFlashBackup.pattern(seed: seed, count: count)
    }
}
