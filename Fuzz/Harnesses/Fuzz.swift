import Boot
import Foundation

/// One executable holds every harness; `fuzz-<name>` (a link to it) runs the harness `<name>`.
/// libFuzzer re-executes argv[0] for -jobs/-fork, so the name survives into its workers.
let harnesses: [String: @Sendable ([UInt8]) -> Void] = [
    "fmap": fuzzFMAP,
    "fmd": fuzzFMD,
    "cbfs-walk": fuzzCBFSWalk,
    "cbfs-edit": fuzzCBFSEdit,
    "self": fuzzSELF,
    "bzimage": fuzzBzImage,
    "elf": fuzzELF,
    "cpio": fuzzCPIO,
    "ifd": fuzzIFD,
    "manifest": fuzzManifest,
    "decompress": fuzzDecompress,
    "inspect": fuzzInspect,
    "tpm-quote": fuzzTPMQuote,
]

/// The harness named by this process: OWNERBOOT_FUZZ_HARNESS, else argv[0]'s `fuzz-<name>`.
nonisolated(unsafe) var selected: (@Sendable ([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    let program = URL(fileURLWithPath: CommandLine.arguments.first ?? "").lastPathComponent
    let name = ProcessInfo.processInfo.environment["OWNERBOOT_FUZZ_HARNESS"]
        ?? (program.hasPrefix("fuzz-") ? String(program.dropFirst(5)) : program)
    guard let harness = harnesses[name] else {
        FileHandle.standardError.write(Data("no harness '\(name)'; run as fuzz-<name> or set OWNERBOOT_FUZZ_HARNESS (known: \(harnesses.keys.sorted().joined(separator: ", ")))\n".utf8))
        exit(2)
    }
    selected = harness
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

/// What every harness needs: a check that a failure is a typed error, and properties.
/// Anything else (a trap, a non-Boot error, a broken property) ends the process, which
/// libFuzzer records as a finding with the input that caused it.
enum Fuzz {
    /// Runs `body`; a thrown `BootError` is an acceptable answer, any other error is a finding.
    @discardableResult
    static func expectBootError<T>(_ label: String, _ body: () throws -> T) -> T? {
        do { return try body() } catch is BootError { return nil } catch {
            fatalError("\(label): threw \(type(of: error)) instead of BootError: \(error)")
        }
    }

    /// A property that must hold on every input.
    static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() { fatalError("property violated: \(message())") }
    }

    /// The output limit harnesses give single extractions: far below -rss_limit_mb, and small
    /// enough that a decompression bomb stays within -timeout.
    static let extractLimit = 4 << 20
}
