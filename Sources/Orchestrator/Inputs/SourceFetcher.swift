import Foundation
import Support

/// Fetches fixed-output sources with apt (`apt-get source --download-only`, `apt-get
/// download`) into a temporary folder, hashes every file, and — when a lock entry is given —
/// refuses anything whose hashes differ. Nothing half-downloaded reaches the store: the caller
/// installs the folder only after this returns.
public struct SourceFetcher: Sendable {
    public init() {}

    /// Downloads `spec` into `directory` (which must exist and be empty) and returns its files.
    public func fetch(_ spec: SourceSpec, into directory: URL) throws -> [LockFile.SourceFile] {
        let runner = ProcessRunner(workingDirectory: directory, timeout: 1800)
        let result: ProcessRunner.Result
        switch spec.kind {
        case .debianSource:
            result = try runner.run("apt-get", ["source", "--download-only", "-qq", "\(spec.package)=\(spec.version)"])
        case .debianBinary:
            result = try runner.run("apt-get", ["download", "-qq", "\(spec.package)=\(spec.version)"])
        }
        guard result.status == 0 else {
            throw LockError.fetchFailed(source: spec.name, output: result.stderrText + result.stdoutText)
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        return try names.map { LockFile.SourceFile(name: $0, sha256: try SHA256Digest.hex(fileAt: directory.appendingPathComponent($0))) }
    }

    /// Fetches and checks against the lock: same file names, same SHA-256 each.
    public func fetch(_ spec: SourceSpec, locked: LockFile.Source, into directory: URL) throws {
        let files = try fetch(spec, into: directory)
        let got = Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.sha256) })
        for file in locked.files {
            guard let actual = got[file.name] else {
                throw LockError.sourceMismatch(source: spec.name, file: file.name, expected: file.sha256, actual: "(not downloaded)")
            }
            if actual != file.sha256 {
                throw LockError.sourceMismatch(source: spec.name, file: file.name, expected: file.sha256, actual: actual)
            }
        }
        if let extra = got.keys.first(where: { name in !locked.files.contains { $0.name == name } }) {
            throw LockError.sourceMismatch(source: spec.name, file: extra, expected: "(not in the lock)", actual: got[extra]!)
        }
    }
}
