import Foundation
import Support
import TOMLKit

/// Reads `boards/<name>/tests.toml` into `BoardTests`, with the same error discipline as
/// board files: unknown keys, wrong types and bad values name the file, line and key.
public struct TestScenarioLoader: Sendable {
    public init() {}

    static let scenarioKeys: Set<String> = ["name", "description", "rom", "disk", "timeout", "steps", "reboots", "tpm", "tang"]
    static let qemuKeys: Set<String> = ["machine", "memory_mib", "accel", "cpu", "test_passphrase", "extra_args", "disk_interface", "append", "tpm", "tpm_version"]
    static let stepKeys: Set<String> = ["expect", "send", "until", "exit", "absent", "timeout", "full_os"]

    public func load(_ file: URL) throws -> BoardTests {
        let text: String
        do { text = try String(contentsOf: file, encoding: .utf8) } catch {
            throw BoardError.unreadable(file: file.path, reason: error.localizedDescription)
        }
        return try parse(text, file: file.path)
    }

    public func parse(_ text: String, file: String) throws -> BoardTests {
        let lines = SourceLines(text)
        let root: TOMLTable
        do { root = try TOMLTable(string: text) } catch let error as TOMLParseError {
            throw BoardError.syntax(file: file, line: error.source.begin.line, column: error.source.begin.column, reason: error.description)
        }
        for key in root.keys where key != "qemu" && key != "scenario" {
            throw BoardError.unknownKey(file: file, line: lines.lineOfTable(key) ?? lines.lineOfKey(key, in: nil), key: key, suggestion: NearMiss.closest(to: key, in: ["qemu", "scenario"]))
        }
        var qemu = QEMUSettings()
        if let table = root["qemu"]?.table {
            for key in table.keys where !Self.qemuKeys.contains(key) {
                throw BoardError.unknownKey(file: file, line: lines.lineOfKey(key, in: "qemu"), key: "qemu.\(key)", suggestion: NearMiss.closest(to: key, in: Array(Self.qemuKeys)).map { "qemu.\($0)" })
            }
            qemu.machineType = table["machine"]?.string ?? qemu.machineType
            qemu.memoryMiB = table["memory_mib"]?.int ?? qemu.memoryMiB
            qemu.accelerator = table["accel"]?.string ?? qemu.accelerator
            qemu.cpu = table["cpu"]?.string ?? qemu.cpu
            qemu.testPassphrase = table["test_passphrase"]?.string ?? qemu.testPassphrase
            qemu.diskInterface = table["disk_interface"]?.string ?? qemu.diskInterface
            qemu.append = table["append"]?.string ?? qemu.append
            if let tpm = table["tpm"] {
                guard let text = tpm.string else {
                    throw BoardError.wrongType(file: file, line: lines.lineOfKey("tpm", in: "qemu"), key: "qemu.tpm", expected: "a string: \"none\", \"fresh\" or a device name")
                }
                qemu.tpm = try Self.tpm(text, file: file, line: lines.lineOfKey("tpm", in: "qemu"), key: "qemu.tpm")
            }
            if let version = table["tpm_version"] {
                guard let text = version.string, let family = TPMFamily(rawValue: text) else {
                    throw BoardError.invalidValue(file: file, line: lines.lineOfKey("tpm_version", in: "qemu"), key: "qemu.tpm_version", value: "\(version)",
                                                  expected: TPMFamily.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or "))
                }
                qemu.tpmFamily = family
            }
            if let extra = table["extra_args"] {
                guard let array = extra.array, array.allSatisfy({ $0.string != nil }) else {
                    throw BoardError.wrongType(file: file, line: lines.lineOfKey("extra_args", in: "qemu"), key: "qemu.extra_args", expected: "an array of strings")
                }
                qemu.extraArguments = array.compactMap(\.string)
            }
        }
        var scenarios: [TestScenario] = []
        let array = root["scenario"]?.array
        if root["scenario"] != nil && array == nil {
            throw BoardError.wrongType(file: file, line: lines.lineOfKey("scenario", in: nil), key: "scenario", expected: "an array of tables ([[scenario]])")
        }
        for (index, element) in (array ?? TOMLArray()).enumerated() {
            guard let table = element.table else {
                throw BoardError.wrongType(file: file, line: nil, key: "scenario[\(index)]", expected: "a table")
            }
            let name = table["name"]?.string ?? ""
            // Every [[scenario]] header starts a section; find this one's line by its name.
            let line = lines.lineOfValue("name", equalTo: name) ?? lines.lineOfTable("[scenario]")
            for key in table.keys where !Self.scenarioKeys.contains(key) {
                throw BoardError.unknownKey(file: file, line: line, key: "scenario.\(key)", suggestion: NearMiss.closest(to: key, in: Array(Self.scenarioKeys)).map { "scenario.\($0)" })
            }
            guard !name.isEmpty else { throw BoardError.missingKey(file: file, key: "scenario[\(index)].name") }
            func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ fallback: T) throws -> T where T.RawValue == String {
                guard let raw = table[key]?.string else { return fallback }
                guard let value = T(rawValue: raw) else {
                    throw BoardError.invalidValue(file: file, line: line, key: "scenario.\(key)", value: "\"\(raw)\"", expected: T.allCases.map(\.rawValue).joined(separator: ", "))
                }
                return value
            }
            var steps: [TestScenario.Step] = []
            var fullOSFrom: Int? = nil
            for (stepIndex, stepValue) in (table["steps"]?.array ?? TOMLArray()).enumerated() {
                let key = "scenario \(name) steps[\(stepIndex)]"
                guard let step = stepValue.table else { throw BoardError.wrongType(file: file, line: line, key: key, expected: "an inline table like { expect = \"…\" }") }
                for k in step.keys where !Self.stepKeys.contains(k) {
                    throw BoardError.unknownKey(file: file, line: lines.lineOfText(k, after: line), key: "\(key).\(k)", suggestion: NearMiss.closest(to: k, in: Array(Self.stepKeys)))
                }
                // `full_os = true`: this step and every later one only with the full OS boot.
                if step["full_os"]?.bool == true {
                    if fullOSFrom == nil { fullOSFrom = stepIndex }
                } else if fullOSFrom != nil {
                    throw BoardError.invalidValue(file: file, line: line, key: key, value: "\(step)", expected: "full_os = true, as on the steps before it: only a scenario's last steps can wait for the full OS")
                }
                let timeout = step["timeout"]?.double ?? step["timeout"]?.int.map(Double.init)
                if let pattern = step["expect"]?.string {
                    steps.append(.expect(pattern: pattern, timeout: timeout))
                } else if let text = step["send"]?.string, let pattern = step["until"]?.string {
                    steps.append(.sendUntil(text: text, pattern: pattern, timeout: timeout))
                } else if let pattern = step["absent"]?.string {
                    steps.append(.absent(pattern: pattern))
                } else if let text = step["send"]?.string {
                    steps.append(.send(text: text))
                } else if let status = step["exit"]?.int {
                    steps.append(.exit(status: Int32(status), timeout: timeout))
                } else {
                    throw BoardError.invalidValue(file: file, line: line, key: key, value: "\(step)", expected: "one of expect = \"regex\", absent = \"regex\", send = \"text\" (with until = \"regex\": typed again every few seconds until the regex appears), exit = STATUS")
                }
            }
            if steps.isEmpty { throw BoardError.missingKey(file: file, key: "scenario \(name) steps") }
            var tpm = qemu.tpm
            if let value = table["tpm"] {
                guard let text = value.string else {
                    throw BoardError.wrongType(file: file, line: line, key: "scenario \(name) tpm", expected: "a string: \"none\", \"fresh\" or a device name")
                }
                tpm = try Self.tpm(text, file: file, line: line, key: "scenario \(name) tpm")
            }
            let tang = try choice("tang", TestScenario.Tang.none)
            scenarios.append(TestScenario(
                name: name, description: table["description"]?.string ?? "",
                rom: try choice("rom", TestScenario.ROMSource.built), disk: try choice("disk", TestScenario.DiskSource.encrypted),
                timeout: table["timeout"]?.double ?? table["timeout"]?.int.map(Double.init) ?? 300, steps: steps,
                reboots: table["reboots"]?.bool ?? false, tpm: tpm))
            scenarios[scenarios.count - 1].tang = tang
            scenarios[scenarios.count - 1].fullOSFrom = fullOSFrom
        }
        let names = scenarios.map(\.name)
        if let duplicate = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw BoardError.invalidValue(file: file, line: lines.lineOfValue("name", equalTo: duplicate), key: "scenario.name", value: "\"\(duplicate)\"", expected: "a name no other scenario has")
        }
        return BoardTests(qemu: qemu, scenarios: scenarios)
    }

    /// A TPM choice; a device name becomes a directory name, so it is kept to a safe alphabet.
    static func tpm(_ text: String, file: String, line: Int?, key: String) throws -> TestScenario.TPM {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
        guard !text.isEmpty, text.allSatisfy({ allowed.contains($0) }) else {
            throw BoardError.invalidValue(file: file, line: line, key: key, value: "\"\(text)\"", expected: "\"none\", \"fresh\" or a device name of letters, digits, - and _")
        }
        return TestScenario.TPM(text)
    }
}

extension SourceLines {
    /// The line of `key = "value"` anywhere in the file.
    func lineOfValue(_ key: String, equalTo value: String) -> Int? {
        lines.firstIndex { line in
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            return parts.count == 2 && parts[0] == key && parts[1] == "\"\(value)\""
        }.map { $0 + 1 }
    }

    /// The first line at or after `start` that mentions `text`.
    func lineOfText(_ text: String, after start: Int?) -> Int? {
        let from = max((start ?? 1) - 1, 0)
        guard from < lines.count else { return nil }
        return lines[from...].firstIndex { $0.contains(text) }.map { $0 + 1 }
    }
}
