import Foundation
import Support

/// Where the independent validators of signatures, SBOMs and provenance are: minisign and
/// signify from Debian, the PyPI tools in the virtual environment scripts/setup.sh makes
/// (`OWNERBOOT_PYTHON_TOOLS`, default /opt/ownerboot/python). A test that needs one runs when
/// it is installed, and always in CI (`CI=true`), where a missing tool then fails the test
/// instead of skipping it. Locally a missing tool skips the test; its name says which.
enum SupplyTools {
    static let environment = ProcessInfo.processInfo.environment
    static let inCI = environment["CI"] == "true"
    static let venv = URL(fileURLWithPath: environment["OWNERBOOT_PYTHON_TOOLS"] ?? "/opt/ownerboot/python")

    static func python(_ tool: String) -> String { venv.appendingPathComponent("bin/\(tool)").path }

    static var minisign: Bool { inCI || ProcessRunner.which("minisign") != nil }
    static var signify: Bool { inCI || ProcessRunner.which("signify-openbsd") != nil }
    static var pythonValidators: Bool {
        inCI || ["pyspdxtools", "sbomcheck", "python3"].allSatisfy { FileManager.default.isExecutableFile(atPath: python($0)) }
    }

    static let verifyProvenanceScript = RepositoryPaths.root.appendingPathComponent("scripts/verify-provenance.py").path

    /// Runs a tool; the result's text is stdout and stderr together, for messages.
    static func run(_ executable: String, _ arguments: [String]) throws -> (ok: Bool, text: String) {
        let result = try ProcessRunner(timeout: 300).run(executable, arguments)
        return (result.succeeded, result.stdoutText + result.stderrText)
    }
}
