import Boot
import Foundation
import Support

/// Runs a board's scenarios against what was built: it makes the throwaway test disk once,
/// prepares each scenario's ROM (built, flashed into an emulated chip, or an update of an
/// older generation on that chip), boots it and collects the results. It builds nothing and
/// flashes through the `flash` closure it is given, so it stays independent of how.
public struct BoardTestSession: Sendable {
    /// What the build produced that the scenarios need.
    public struct Artifacts: Sendable {
        public var rom: URL
        public var osImage: URL
        /// The previous generation's ROM, for the update scenario.
        public var previousROM: URL?
        /// `{board}`, `{generation}`, `{set_hash}` … for the console expectations.
        public var variables: [String: String]
        public var luksUUID: String?
        /// The kernel and unlocker the ROM carries, for `payload` scenarios.
        public var kernel: URL?
        public var initrd: URL?
        /// A verity OS: the GPT disk's slot B and state, and where slot A's hash tree starts
        /// (a tampered-root disk changes a byte of the data before it).
        public var verityLayout: DiskProvisioner.VerityLayout?
        public var hashOffset: Int64?
        /// coreboot's cbfstool from the firmware build (the tampered-ROM scenarios use it).
        public var cbfstool: URL?
        /// For a normal/fallback board: this generation's normal half over the previous ROM's
        /// protected half, what an update writes to a deployed chip (nil: use `rom`).
        public var updateROM: URL?

        public init(rom: URL, osImage: URL, previousROM: URL?, variables: [String: String], luksUUID: String?, kernel: URL? = nil, initrd: URL? = nil) {
            self.kernel = kernel
            self.initrd = initrd
            self.rom = rom
            self.osImage = osImage
            self.previousROM = previousROM
            self.variables = variables
            self.luksUUID = luksUUID
        }
    }

    /// Writes `rom` into the emulated chip whose image file is `chipImage`; `protected`: the
    /// chip's write protection is on (an update of a deployed board).
    public typealias Flasher = @Sendable (_ rom: URL, _ chipImage: URL, _ protected: Bool) throws -> Void

    public var tests: BoardTests
    public var artifacts: Artifacts
    public var workDirectory: URL
    public var flash: Flasher?
    /// Writes a ROM whole as `ownerboot promote` does (refusing while `protected`); for the
    /// `promote` scenario.
    public var promote: Flasher?
    /// How many machines run at once (each TCG machine keeps one core busy).
    public var parallelism: Int
    /// Run the scenarios' `full_os` steps: every booted OS waited for until systemd is up,
    /// then powered off (slower under TCG; the scenarios that prove the OS itself always do).
    public var fullOS = true

    public init(tests: BoardTests, artifacts: Artifacts, workDirectory: URL, flash: Flasher?, parallelism: Int = 2) {
        self.tests = tests
        self.artifacts = artifacts
        self.workDirectory = workDirectory
        self.flash = flash
        self.parallelism = parallelism
    }

    /// Runs the named scenarios (all when `names` is empty); `progress` hears each result.
    public func run(names: [String] = [], progress: @escaping @Sendable (ScenarioResult) -> Void = { _ in }) throws -> [ScenarioResult] {
        let chosen = try select(names)
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let disk = chosen.contains { $0.disk != .none && $0.disk != .tamperedRoot && $0.disk != .tamperedKernel } ? try makeTestDisk() : nil
        let tampered = chosen.contains { $0.disk == .tamperedRoot } ? try makeTestDisk(tamper: .superblock) : nil
        let tamperedKernel = chosen.contains { $0.disk == .tamperedKernel } ? try makeTestDisk(tamper: .kexecKernel) : nil
        var variables = artifacts.variables
        variables["passphrase"] = tests.qemu.testPassphrase
        if let uuid = artifacts.luksUUID { variables["root_uuid"] = uuid }
        var configured = ScenarioRunner(settings: tests.qemu, variables: variables, transcriptDirectory: workDirectory)
        configured.fullOS = fullOS
        let runner = configured

        let results = ResultBox(count: chosen.count)
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = max(1, parallelism)
        for (index, scenario) in chosen.enumerated() {
            queue.addOperation {
                let result: ScenarioResult
                do {
                    let rom = try self.prepareROM(for: scenario)
                    var payload: (kernel: URL, initrd: URL)?
                    if scenario.rom == .payload {
                        guard let kernel = self.artifacts.kernel, let initrd = self.artifacts.initrd else { throw TestSessionError.noPayload(scenario: scenario.name) }
                        payload = (kernel, initrd)
                    }
                    var scenarioDisk: URL? = switch scenario.disk {
                    case .none: nil
                    case .tamperedRoot: tampered
                    case .tamperedKernel: tamperedKernel
                    default: disk
                    }
                    if scenario.disk == .tpm2 || scenario.disk == .tpm2Resealed || scenario.disk == .tpm2Normal, let disk { scenarioDisk = try self.enrolTPM2(scenario, testDisk: disk) }
                    if scenario.disk == .tang, let disk { scenarioDisk = try self.enrolTang(scenario, testDisk: disk) }
                    if scenario.disk == .sss, let disk { scenarioDisk = try self.enrolSSS(scenario, testDisk: disk) }
                    let tpm = try self.startTPM(for: scenario)
                    defer { tpm?.close() }
                    var runner = runner
                    runner.variables.merge(try Self.pcrVariables(booted: rom, built: self.artifacts.rom, firmware: scenario.rom != .payload)) { $1 }
                    result = runner.run(scenario, rom: rom, disk: scenarioDisk, payload: payload, extraArguments: (tpm?.qemuArguments ?? []) + (try self.tangArguments(scenario)))
                } catch {
                    result = ScenarioResult(scenario: scenario.name, passed: false, seconds: 0, failedStep: "prepare the ROM (\(scenario.rom.rawValue))", failure: "\(error)", lastLines: nil, transcript: "")
                }
                results.set(index, result)
                progress(result)
            }
        }
        queue.waitUntilAllOperationsAreFinished()
        Self.discardDisks(in: workDirectory)
        return results.values
    }

    /// The throwaway test disks (`*.img`, over a GiB each with a Debian OS in two slots) go once
    /// the scenarios are done: a run would otherwise leave gigabytes in /tmp. Transcripts, ROMs
    /// and chip images stay for whoever reads what happened.
    static func discardDisks(in directory: URL) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".img") {
            try? FileManager.default.removeItem(at: directory.appendingPathComponent(name))
        }
    }

    func select(_ names: [String]) throws -> [TestScenario] { try tests.scenarios(named: names) }

    /// `{pcr0}`…`{pcr7}`: the PCRs predicted for the ROM this scenario boots (fallback path),
    /// `{event0}`…: its predicted measurement log, line by line; `{normal_pcr0}`…,
    /// `{normal_event0}`…: the same for its normal path (an armed normal boot), when it has one;
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
                for index in 0..<8 { out["\(pathPrefix)pcr\(index)"] = prediction.value(ofPCR: index) }
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

    /// A copy of the test disk with a Clevis TPM2 token sealed by the scenario's TPM device
    /// (served on loopback while `clevis luks bind` runs) to the built ROM's predicted PCR 2,
    /// as `ownerboot disk --tpm2` provisions a device before its first boot.
    func enrolTPM2(_ scenario: TestScenario, testDisk: URL) throws -> URL {
        guard case .device(let name) = scenario.tpm else { throw TestSessionError.needsTPMDevice(scenario: scenario.name) }
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        var roms = [artifacts.rom]
        if scenario.disk == .tpm2Resealed {
            guard let previous = artifacts.previousROM else { throw TestSessionError.noPreviousGeneration(scenario: scenario.name) }
            roms.insert(previous, at: 0)
        }
        let tpm = try SoftwareTPM(stateDirectory: tpmDirectory(device: name), loopback: true)
        defer { tpm.close() }
        for rom in roms {
            let image = [UInt8](try Data(contentsOf: rom))
            let path: PCRPrediction.BootPath = scenario.disk == .tpm2Normal ? .normal : .fallback
            let prediction = try PCRPrediction.predict(image: image, path: path)
            // Tagged with the ROM's generation, as `ownerboot disk --tpm2` does (the unlocker
            // retires the previous generation's token after the update's unattended boot).
            let tag = try ImageInspector.inspect(image, hashing: false, predictingPCRs: false).manifest.map { ClevisTokenTag(generation: $0.generation, path: path.name) }
            // Every LUKS2 container the unlocker opens (a verity OS's slots and state) gets it.
            try LUKSContainers.forEachHeader(of: disk) { header in
                try ClevisBinder().bindTPM2(disk: header, passphrase: Data(tests.qemu.testPassphrase.utf8), policy: .init(pcrs: [2: prediction.value(ofPCR: 2)]), tcti: tpm.tcti ?? "", tag: tag)
            }
        }
        return disk
    }

    /// Where the session's tang keys live; made (tangd-keygen) on first use.
    func tangDirectory() throws -> URL {
        let keys = workDirectory.appendingPathComponent("tang")
        Self.tangLock.lock()
        defer { Self.tangLock.unlock() }
        if !FileManager.default.fileExists(atPath: keys.appendingPathComponent("adv.jws").path) {
            try? FileManager.default.removeItem(at: keys)
            try FileManager.default.createDirectory(at: keys.appendingPathComponent("db"), withIntermediateDirectories: true)
            try ProcessRunner(timeout: 60).checked(Self.tangd + "-keygen", [keys.appendingPathComponent("db").path])
            // The advertisement as tangd serves it (GET /adv on its standard input).
            let reply = try ProcessRunner(timeout: 60).checked(Self.tangd, [keys.appendingPathComponent("db").path], stdin: Data("GET /adv HTTP/1.0\r\n\r\n".utf8)).stdoutText
            guard let body = reply.range(of: "\r\n\r\n").map({ String(reply[$0.upperBound...]) }), body.contains("payload") else {
                throw TestSessionError.tangFailed(reason: "tangd served no advertisement")
            }
            try Data(body.utf8).write(to: keys.appendingPathComponent("adv.jws"))
        }
        return keys
    }

    static let tangd = "/usr/libexec/tangd"
    static let tangLock = NSLock()
    /// Where the machine finds tang: QEMU's user network forwards this address.
    static let tangURL = "http://10.0.2.100"

    func enrolTang(_ scenario: TestScenario, testDisk: URL) throws -> URL {
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        let advertisement = try tangDirectory().appendingPathComponent("adv.jws")
        try LUKSContainers.forEachHeader(of: disk) { header in
            try ClevisBinder().bindTang(disk: header, passphrase: Data(tests.qemu.testPassphrase.utf8), url: Self.tangURL, advertisement: advertisement)
        }
        return disk
    }

    /// A copy of the test disk with one Clevis sss token, 2 of tang (the session's server) and
    /// TPM2 (sealed by the scenario's TPM device to the built ROM's predicted PCR 2).
    func enrolSSS(_ scenario: TestScenario, testDisk: URL) throws -> URL {
        guard case .device(let name) = scenario.tpm else { throw TestSessionError.needsTPMDevice(scenario: scenario.name) }
        let disk = workDirectory.appendingPathComponent("\(scenario.name).disk.img")
        try? FileManager.default.removeItem(at: disk)
        try FileManager.default.copyItem(at: testDisk, to: disk)
        let prediction = try PCRPrediction.predict(image: [UInt8](try Data(contentsOf: artifacts.rom)), path: .fallback)
        let tpm = try SoftwareTPM(stateDirectory: tpmDirectory(device: name), loopback: true)
        defer { tpm.close() }
        let pins: [ClevisPin] = [.tang(url: Self.tangURL, advertisement: try tangDirectory().appendingPathComponent("adv.jws")), .tpm2(.init(pcrs: [2: prediction.value(ofPCR: 2)]))]
        try LUKSContainers.forEachHeader(of: disk) { header in
            try ClevisBinder().bindSSS(disk: header, passphrase: Data(tests.qemu.testPassphrase.utf8), threshold: 2, pins: pins, tcti: tpm.tcti ?? "")
        }
        return disk
    }

    /// QEMU's network for a scenario with tang: user networking with `restrict=on` (no
    /// traffic leaves QEMU) and, when tang is up, one `guestfwd` that runs tangd for each
    /// connection to 10.0.2.100:80 (no listening socket on the host).
    func tangArguments(_ scenario: TestScenario) throws -> [String] {
        switch scenario.tang {
        case .none: return []
        case .down: return ["-netdev", "user,id=net0,restrict=on", "-device", "virtio-net-pci,netdev=net0"]
        case .up:
            let db = try tangDirectory().appendingPathComponent("db").path
            return ["-netdev", "user,id=net0,restrict=on,guestfwd=tcp:10.0.2.100:80-cmd:sh -c \"exec \(Self.tangd) \(db) 2>/dev/null\"", "-device", "virtio-net-pci,netdev=net0"]
        }
    }

    func tpmDirectory(device name: String) -> URL {
        workDirectory.appendingPathComponent("tpm").appendingPathComponent("device-\(name)")
    }

    /// The scenario's software TPM, started before QEMU: `fresh` gets an empty state of its
    /// own, a named device keeps its state under the work directory for later scenarios.
    func startTPM(for scenario: TestScenario) throws -> SoftwareTPM? {
        let tpmRoot = workDirectory.appendingPathComponent("tpm")
        switch scenario.tpm {
        case .none:
            return nil
        case .fresh:
            let state = tpmRoot.appendingPathComponent("fresh-\(scenario.name)")
            try? FileManager.default.removeItem(at: state)
            return try SoftwareTPM(stateDirectory: state, family: tests.qemu.tpmFamily)
        case .device(let name):
            return try SoftwareTPM(stateDirectory: tpmDirectory(device: name), family: tests.qemu.tpmFamily)
        }
    }

    /// Which byte of slot A a tampered test disk changes (a verity OS).
    enum Tamper: String {
        /// A byte every boot reads: the ext4 superblock's volume name (offset 1024 + 0x78),
        /// which mount would accept changed; only dm-verity notices.
        case superblock = "tampered"
        /// A byte of the OS's own kernel, which the unlocker reads only to kexec it.
        case kexecKernel = "tampered-kernel"
    }

    /// The throwaway disk all scenarios share (QEMU opens it with snapshot=on); with `tamper`,
    /// one byte of slot A inverted before encryption (needs a verity OS).
    func makeTestDisk(tamper: Tamper? = nil) throws -> URL {
        let passphrase = workDirectory.appendingPathComponent("test-passphrase" + (tamper.map { "-\($0.rawValue)" } ?? ""))
        try Data(tests.qemu.testPassphrase.utf8).write(to: passphrase, options: .atomic)
        defer { try? FileManager.default.removeItem(at: passphrase) }
        let disk = workDirectory.appendingPathComponent(tamper.map { "\($0.rawValue)-disk.img" } ?? "test-disk.img")
        var request = DiskProvisioner.Request(osImage: artifacts.osImage, passphraseFile: passphrase, output: disk, luksUUID: artifacts.luksUUID)
        request.verityLayout = artifacts.verityLayout
        if let tamper {
            guard let offset = artifacts.hashOffset, artifacts.verityLayout != nil, offset > 4096 else { throw TestSessionError.noVerityOS }
            switch tamper {
            case .superblock: request.tamperOffset = 1024 + 0x78
            case .kexecKernel:
                let byte = try KexecKernelTamper.offset(osImage: artifacts.osImage)
                guard byte < offset else { throw TamperError.noKexecKernel(path: artifacts.osImage.path) }
                request.tamperOffset = byte
            }
        }
        request.pbkdfIterations = 4
        request.pbkdfMemoryKiB = 32768
        try DiskProvisioner().provision(request)
        return disk
    }

    func prepareROM(for scenario: TestScenario) throws -> URL {
        switch scenario.rom {
        case .built, .payload:
            return artifacts.rom
        case .normalErased, .normalPayloadCorrupted, .planted:
            let output = workDirectory.appendingPathComponent("\(scenario.name).rom")
            let v = artifacts.variables
            var cmdline = "console=ttyS0,115200 no_timer_check ownerboot.board=\(v["board"] ?? "") ownerboot.generation=\(v["generation"] ?? "") ownerboot.set=\(v["set_hash"] ?? "")"
            if let uuid = artifacts.luksUUID { cmdline += " ownerboot.root_uuid=\(uuid)" }
            try TamperedROM.make(
                scenario.rom, rom: artifacts.rom, output: output, cbfstool: artifacts.cbfstool,
                payload: artifacts.kernel.flatMap { k in artifacts.initrd.map { (k, $0) } }, cmdline: cmdline)
            return output
        case .tampered:
            let image = try MeasuredFileTamper.make(from: [UInt8](try Data(contentsOf: artifacts.rom)))
            let url = workDirectory.appendingPathComponent("\(scenario.name).tampered.rom")
            try Data(image).write(to: url, options: .atomic)
            return url
        case .flashed, .update, .promote:
            guard let flash else { throw TestSessionError.needsFlasher(scenario: scenario.name) }
            let chip = workDirectory.appendingPathComponent("\(scenario.name).chip.bin")
            let size = try FileManager.default.attributesOfItem(atPath: artifacts.rom.path)[.size] as? Int ?? 0
            // A blank chip is all ones, as a new SPI flash is.
            try Data(repeating: 0xFF, count: size).write(to: chip)
            // First install on a blank chip, as with a clip before protection is enabled; an
            // update then goes onto the chip with its write protection on.
            if scenario.rom == .update || scenario.rom == .promote {
                guard let previous = artifacts.previousROM else { throw TestSessionError.noPreviousGeneration(scenario: scenario.name) }
                try flash(previous, chip, false)
                try flash(artifacts.updateROM ?? artifacts.rom, chip, true)
                if artifacts.updateROM != nil { try Self.checkProtectedHalfKept(chip: chip, previous: previous) }
                if scenario.rom == .promote { try promote(artifacts.rom, onto: chip, scenario: scenario.name) }
            } else {
                try flash(artifacts.rom, chip, false)
            }
            return chip
        }
    }
}

extension BoardTestSession {
    /// The promotion with the chip still protected must be refused and leave it as it was;
    /// with the protection lifted the chip must then hold `rom` exactly.
    func promote(_ rom: URL, onto chip: URL, scenario: String) throws {
        guard let promote else { throw TestSessionError.needsFlasher(scenario: scenario) }
        let before = try SHA256Digest.hex(fileAt: chip)
        // Any refusal counts here; that it was the protection is proven by the same ROM
        // going onto the same chip right after, with the protection lifted.
        var refused = false
        do { try promote(rom, chip, true) } catch { refused = true }
        guard refused else { throw TestSessionError.promotedWhileProtected(chip: chip.path) }
        guard try SHA256Digest.hex(fileAt: chip) == before else { throw TestSessionError.promotedWhileProtected(chip: chip.path) }
        try promote(rom, chip, false)
        guard try SHA256Digest.hex(fileAt: chip) == SHA256Digest.hex(fileAt: rom) else { throw TestSessionError.promotionNotOnChip(chip: chip.path, rom: rom.path) }
    }

    /// After an update of a normal/fallback chip: everything outside the normal region (FMAP,
    /// bootblock, the fallback set) is the previous ROM's, byte for byte.
    static func checkProtectedHalfKept(chip: URL, previous: URL) throws {
        guard let after = FileManager.default.contents(atPath: chip.path).map(Array.init),
              let before = FileManager.default.contents(atPath: previous.path).map(Array.init),
              after.count == before.count,
              let area = FMAP.locate(in: before)?.map.area(named: TamperedROM.normalRegion) else {
            throw TamperError.noNormalRegion(path: previous.path)
        }
        let normal = Int(area.offset)..<(Int(area.offset) + Int(area.size))
        var differing: Int?
        for i in 0..<after.count where !normal.contains(i) && after[i] != before[i] { differing = i; break }
        if let differing { throw TestSessionError.protectedHalfChanged(offset: differing, chip: chip.path) }
    }
}

/// Results filled in by index from concurrent scenario runs.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var results: [ScenarioResult?]

    init(count: Int) { results = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ result: ScenarioResult) { lock.withLock { results[index] = result } }
    var values: [ScenarioResult] { lock.withLock { results.compactMap { $0 } } }
}
