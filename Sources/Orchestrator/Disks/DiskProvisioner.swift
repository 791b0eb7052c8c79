import Foundation
import Support

/// Makes a device's encrypted disk from a board's OS image: the ext4 image is copied,
/// given room for a LUKS2 header, and encrypted offline with `cryptsetup reencrypt
/// --encrypt` (no device-mapper needed; the disk is opened only inside the machine).
/// Secrets never enter the store, a log or a command line: the passphrase goes to
/// cryptsetup on standard input. The output appears only when complete (temp + rename).
public struct DiskProvisioner: Sendable {
    public struct Request: Sendable {
        public var osImage: URL
        public var passphraseFile: URL
        public var output: URL
        /// The LUKS UUID the board's unlocker looks for.
        public var luksUUID: String?
        /// An additional key file to enrol (for unattended unlock), if any.
        public var keyFile: URL?
        /// Argon2 memory cost in KiB: the unlocker runs in a small machine, and cryptsetup
        /// would otherwise size it for the (much larger) host that formats the disk.
        public var pbkdfMemoryKiB: Int = 65536
        /// Fixed Argon2 time cost instead of cryptsetup's benchmark (tests use a small one).
        public var pbkdfIterations: Int?
        /// A verity OS's disk: a GPT with root slots A and B and a state partition (see
        /// `GPTDiskLayout`), each LUKS2; nil is the single encrypted image of a plain OS.
        public var verityLayout: VerityLayout?
        /// Tests only: the byte at this offset of slot A's image is inverted before it is
        /// encrypted (a tampered root the unlocker must refuse).
        public var tamperOffset: Int64?
        /// Tests only: a state other than the one `ownerboot disk` makes (bound to the roots).
        public var testState: TestState = .bound

        public init(osImage: URL, passphraseFile: URL, output: URL, luksUUID: String? = nil, keyFile: URL? = nil) {
            self.osImage = osImage
            self.passphraseFile = passphraseFile
            self.output = output
            self.luksUUID = luksUUID
            self.keyFile = keyFile
        }
    }

    /// The state partitions the scenarios need besides the real one.
    public enum TestState: Sendable {
        /// As `ownerboot disk` makes it: a key slot bound to each root slot.
        case bound
        /// As an older ownerboot made it: the owner's passphrase only (the unlocker binds it).
        case unbound
        /// An attacker's, swapped in: another passphrase, no key bound to the root (never mounted).
        case foreign
    }

    /// The LUKS UUIDs of slot B and the state partition (slot A's is `luksUUID`), and the
    /// state's size.
    public struct VerityLayout: Sendable, Equatable {
        public var slotBUUID: String
        public var stateUUID: String
        public var stateSize: Int64

        public init(slotBUUID: String, stateUUID: String, stateSize: Int64 = 128 << 20) {
            self.slotBUUID = slotBUUID
            self.stateUUID = stateUUID
            self.stateSize = stateSize
        }
    }

    /// Room left for the LUKS2 header (its default data offset is 16 MiB).
    public static let headerReserve = 32 << 20

    public var runner: ProcessRunner

    public init(runner: ProcessRunner = ProcessRunner(timeout: 600)) {
        self.runner = runner
    }

    /// Makes the disk; `progress` hears "disk copy" and "disk encrypt" (bytes encrypted so
    /// far, from cryptsetup's own progress report).
    public func provision(_ request: Request, progress: ProgressSink? = nil) throws {
        if let layout = request.verityLayout { return try provisionVerity(request, layout: layout, progress: progress) }
        let passphrase = try Self.readPassphrase(request.passphraseFile)
        guard FileManager.default.fileExists(atPath: request.osImage.path) else {
            throw DiskError.missingImage(path: request.osImage.path)
        }
        let temp = request.output.deletingLastPathComponent().appendingPathComponent(".\(request.output.lastPathComponent).partial-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: temp) }
        let imageSize = ((try? FileManager.default.attributesOfItem(atPath: request.osImage.path))?[.size] as? Int).map(Int64.init)
        progress?(ProgressEvent(task: "disk copy", phase: .started, total: imageSize, unit: "bytes", elapsed: 0))
        let copyStart = Date()
        try FileManager.default.copyItem(at: request.osImage, to: temp)
        progress?(ProgressEvent(task: "disk copy", phase: .finished, done: imageSize, total: imageSize, unit: "bytes", elapsed: Date().timeIntervalSince(copyStart)))
        let handle = try FileHandle(forWritingTo: temp)
        let size = try handle.seekToEnd()
        try handle.truncate(atOffset: size + UInt64(Self.headerReserve))
        try handle.close()

        var arguments = [
            "reencrypt", "--encrypt", "--type", "luks2", "--reduce-device-size", "\(Self.headerReserve >> 20)M",
            "--key-file", "-", "--batch-mode",
        ] + pbkdfArguments(request)
        if let uuid = request.luksUUID { arguments += ["--uuid", uuid] }
        let result = try encrypt(arguments + [temp.path], passphrase: passphrase, progress: progress)
        guard result.succeeded else { throw DiskError.cryptsetupFailed(step: "encrypt", output: result.stdoutText + result.stderrText) }

        if let keyFile = request.keyFile {
            // The existing passphrase authorises the new key slot; it arrives on stdin.
            let add = try runner.run("cryptsetup", ["luksAddKey", "--batch-mode", "--key-file", "-"] + pbkdfArguments(request) + [temp.path, keyFile.path], stdin: passphrase)
            guard add.succeeded else { throw DiskError.cryptsetupFailed(step: "add key file", output: add.stderrText) }
        }
        if FileManager.default.fileExists(atPath: request.output.path) {
            try FileManager.default.removeItem(at: request.output)
        }
        try FileManager.default.moveItem(at: temp, to: request.output)
    }

    /// The GPT disk of a verity OS: slot A and slot B (the image, encrypted separately, each
    /// with its own volume key), the state (an empty ext4, encrypted; bound to both slots:
    /// `bindState`), then the table written
    /// by sfdisk and each partition copied into place. Everything is made beside the output
    /// and renamed into place only when complete.
    func provisionVerity(_ request: Request, layout: VerityLayout, progress: ProgressSink?) throws {
        let passphrase = try Self.readPassphrase(request.passphraseFile)
        guard FileManager.default.fileExists(atPath: request.osImage.path) else {
            throw DiskError.missingImage(path: request.osImage.path)
        }
        guard let slotAUUID = request.luksUUID else { throw DiskError.cryptsetupFailed(step: "layout", output: "a verity disk needs slot A's LUKS UUID (the board's [disk] root_uuid)") }
        let folder = request.output.deletingLastPathComponent().appendingPathComponent(".\(request.output.lastPathComponent).partial-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }

        func encryptedCopy(of source: URL?, size: Int64, uuid: String, name: String, tamper: Int64?, passphrase: Data = passphrase) throws -> URL {
            let file = folder.appendingPathComponent(name)
            if let source { try FileManager.default.copyItem(at: source, to: file) } else { FileManager.default.createFile(atPath: file.path, contents: nil) }
            let handle = try FileHandle(forUpdating: file)
            if let tamper {
                try handle.seek(toOffset: UInt64(tamper))
                let byte = try handle.read(upToCount: 1) ?? Data([0])
                try handle.seek(toOffset: UInt64(tamper))
                try handle.write(contentsOf: Data([~(byte.first ?? 0)]))
            }
            try handle.truncate(atOffset: UInt64(size))
            try handle.close()
            if source == nil {
                // The state: an empty ext4 (journalled: it is written) made before encryption.
                let mkfs = try runner.run("mkfs.ext4", ["-q", "-F", "-L", "ownerboot-state", file.path])
                guard mkfs.succeeded else { throw DiskError.cryptsetupFailed(step: "mkfs.ext4 state", output: mkfs.stderrText) }
            }
            let grown = try FileHandle(forWritingTo: file)
            try grown.truncate(atOffset: UInt64(size + Int64(Self.headerReserve)))
            try grown.close()
            var arguments = [
                "reencrypt", "--encrypt", "--type", "luks2", "--reduce-device-size", "\(Self.headerReserve >> 20)M",
                "--key-file", "-", "--batch-mode", "--uuid", uuid,
            ] + pbkdfArguments(request)
            arguments.append(file.path)
            let result = try encrypt(arguments, passphrase: passphrase, progress: progress)
            guard result.succeeded else { throw DiskError.cryptsetupFailed(step: "encrypt \(name)", output: result.stdoutText + result.stderrText) }
            if let keyFile = request.keyFile {
                let add = try runner.run("cryptsetup", ["luksAddKey", "--batch-mode", "--key-file", "-"] + pbkdfArguments(request) + [file.path, keyFile.path], stdin: passphrase)
                guard add.succeeded else { throw DiskError.cryptsetupFailed(step: "add key file to \(name)", output: add.stderrText) }
            }
            return file
        }

        // Whole 4 KiB blocks (cryptsetup works in sectors; the padding is zeros past the hash tree).
        let imageSize = ((((try FileManager.default.attributesOfItem(atPath: request.osImage.path))[.size] as? NSNumber)?.int64Value ?? 0) + 4095) / 4096 * 4096
        let slotA = try encryptedCopy(of: request.osImage, size: imageSize, uuid: slotAUUID, name: "root-a", tamper: request.tamperOffset)
        let slotB = try encryptedCopy(of: request.osImage, size: imageSize, uuid: layout.slotBUUID, name: "root-b", tamper: nil)
        let statePassphrase = request.testState == .foreign ? Data("an attacker's state".utf8) : passphrase
        let state = try encryptedCopy(of: nil, size: layout.stateSize, uuid: layout.stateUUID, name: "state", tamper: nil, passphrase: statePassphrase)
        if request.testState == .bound { try bindState(state, to: [slotA, slotB], passphrase: passphrase) }

        let table = GPTDiskLayout(seed: slotAUUID, slotSize: imageSize + Int64(Self.headerReserve), stateSize: layout.stateSize + Int64(Self.headerReserve))
        let disk = folder.appendingPathComponent("disk.img")
        FileManager.default.createFile(atPath: disk.path, contents: nil)
        let handle = try FileHandle(forWritingTo: disk)
        try handle.truncate(atOffset: UInt64(table.size))
        try handle.close()
        let sfdisk = try runner.run("sfdisk", ["--quiet", "--no-reread", "--no-tell-kernel", disk.path], stdin: Data(table.sfdiskScript.utf8))
        guard sfdisk.succeeded else { throw DiskError.cryptsetupFailed(step: "sfdisk (GPT)", output: sfdisk.stderrText + sfdisk.stdoutText) }
        for (file, partition) in zip([slotA, slotB, state], table.partitions) {
            try Self.copy(file, into: disk, at: partition.offset, limit: partition.size)
        }
        if FileManager.default.fileExists(atPath: request.output.path) { try FileManager.default.removeItem(at: request.output) }
        try FileManager.default.moveItem(at: disk, to: request.output)
    }

    /// Binds the state to its roots: for each root slot, a key slot of the state whose key is
    /// derived from that slot's volume key (`RootBoundKeys.statePassphrase`), which is how the
    /// unlocker opens the state. The derived key is 256 bits of a secret: PBKDF2 with few
    /// iterations is enough (Argon2 would only slow every boot). The passphrase authorises each
    /// new slot from a file in RAM (/dev/shm where there is one) that is gone right after; the
    /// new key arrives on standard input.
    func bindState(_ state: URL, to roots: [URL], passphrase: Data) throws {
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("ownerboot-bind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let existing = folder.appendingPathComponent("passphrase")
        guard FileManager.default.createFile(atPath: existing.path, contents: passphrase, attributes: [.posixPermissions: 0o600]) else {
            throw DiskError.cryptsetupFailed(step: "bind the state to the root of", output: "cannot write a file in \(folder.path)")
        }
        for root in roots {
            let key = RootBoundKeys.statePassphrase(rootVolumeKey: try LUKSHeaderDump.volumeKey(of: root, passphrase: passphrase, runner: runner))
            let add = try runner.run("cryptsetup", ["luksAddKey", "--batch-mode", "--key-file", existing.path, "--pbkdf", "pbkdf2", "--pbkdf-force-iterations", "1000",
                                                    state.path, "/dev/stdin"], stdin: key)
            guard add.succeeded else { throw DiskError.cryptsetupFailed(step: "add the key bound to \(root.lastPathComponent) to the state of", output: add.stderrText) }
        }
    }

    /// Copies `file` into `disk` at `offset` in 4 MiB chunks; refuses a file larger than `limit`.
    static func copy(_ file: URL, into disk: URL, at offset: Int64, limit: Int64) throws {
        let input = try FileHandle(forReadingFrom: file)
        defer { try? input.close() }
        let output = try FileHandle(forWritingTo: disk)
        defer { try? output.close() }
        try output.seek(toOffset: UInt64(offset))
        var written: Int64 = 0
        while let chunk = try input.read(upToCount: 4 << 20), !chunk.isEmpty {
            written += Int64(chunk.count)
            guard written <= limit else { throw DiskError.cryptsetupFailed(step: "copy \(file.lastPathComponent)", output: "it is larger than its partition (\(limit) bytes)") }
            try output.write(contentsOf: chunk)
        }
    }

    /// `cryptsetup reencrypt`, with its JSON progress lines followed while it runs when
    /// someone listens. Its output holds no secret (the passphrase arrives on stdin). It runs in
    /// a folder of its own: `reencrypt --encrypt` writes its temporary header as
    /// `LUKS2-temp-<UUID>.new` in the working directory, so two disks with the same LUKS UUID
    /// made at once in one folder (two boards' tests, or tests side by side) would collide. For
    /// the same reason it takes no lock: cryptsetup's reencryption lock is named after the UUID
    /// too ("Reencryption process is already running"), and the file is this call's own.
    func encrypt(_ arguments: [String], passphrase: Data, progress: ProgressSink?) throws -> ProcessRunner.Result {
        let arguments = ["--disable-locks"] + arguments
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ownerboot-reencrypt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var runner = self.runner
        runner.workingDirectory = folder
        guard let progress else { return try runner.run("cryptsetup", arguments, stdin: passphrase) }
        let log = folder.appendingPathComponent("progress.log")
        var followed = runner
        followed.combinedOutput = log
        let ticker = ProgressTicker(task: "disk encrypt", log: log, estimate: nil, amount: Self.cryptsetupAmount, sink: progress)
        ticker.begin()
        let result: ProcessRunner.Result
        do { result = try followed.run("cryptsetup", ["--progress-json", "--progress-frequency", "1"] + arguments, stdin: passphrase) } catch {
            ticker.end(error: error)
            throw error
        }
        ticker.end(error: result.succeeded ? nil : DiskError.cryptsetupFailed(step: "encrypt", output: result.stdoutText))
        return result
    }

    /// Bytes done and total from one line of `cryptsetup --progress-json`.
    @Sendable static func cryptsetupAmount(_ line: String) -> (done: Int64, total: Int64)? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let done = (object["device_bytes"] as? String).flatMap({ Int64($0) }),
              let total = (object["device_size"] as? String).flatMap({ Int64($0) }) else { return nil }
        return (done, total)
    }

    func pbkdfArguments(_ request: Request) -> [String] {
        var arguments = ["--pbkdf", "argon2id", "--pbkdf-memory", "\(request.pbkdfMemoryKiB)"]
        if let iterations = request.pbkdfIterations {
            arguments += ["--pbkdf-force-iterations", "\(iterations)"]
        } else {
            arguments += ["--iter-time", "1000"]
        }
        return arguments
    }

    /// The passphrase bytes: the file's content without one trailing newline (as typed).
    static func readPassphrase(_ file: URL) throws -> Data {
        guard var data = FileManager.default.contents(atPath: file.path) else {
            throw DiskError.unreadablePassphrase(path: file.path)
        }
        if data.last == UInt8(ascii: "\n") { data.removeLast() }
        guard !data.isEmpty else { throw DiskError.emptyPassphrase(path: file.path) }
        return data
    }

    /// Whether `passphrase` opens the disk's LUKS header (no device-mapper needed).
    public func checkPassphrase(disk: URL, passphrase: Data) throws -> Bool {
        try runner.run("cryptsetup", ["open", "--test-passphrase", "--key-file", "-", disk.path], stdin: passphrase).succeeded
    }
}
