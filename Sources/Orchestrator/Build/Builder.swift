import Foundation
import Support

/// Carries out a `BuildPlan`: each derivation not yet in the store is built (sources fetched
/// and checked against the lock, the build environment made, components run in the sandbox),
/// independent ones in parallel up to `jobs`, each under its store lock so two processes never
/// build the same output at once. With `check`, every component is built a second time in a
/// fresh sandbox and must come out bit-identical.
public struct Builder: Sendable {
    public enum Event: Sendable {
        case started(name: String, hash: String)
        case finished(name: String, seconds: Double, cached: Bool)
        case checked(name: String, identical: Bool)
    }

    public struct Summary: Sendable, Codable {
        public var board: String
        public var generation: Int
        public var setHash: String
        public var built: [String]
        public var cached: [String]
        public var checked: [String]
        public var seconds: Double
        /// component name → store path
        public var outputs: [String: String]
    }

    public var store: Store
    public var jobs: Int
    public var check: Bool
    /// With `check`: only these components are built twice (nil: every one), for a proof of
    /// some components without rebuilding the slow ones (e.g. the OS and ROM, not the kernel).
    public var checkComponents: Set<String>? = nil
    public var onEvent: @Sendable (Event) -> Void
    /// Hears each derivation that is really built (cached ones are silent): started, its
    /// elapsed time and builder log's last line every second, finished or failed; the
    /// estimate is the store's record of the last build of a component of the same name.
    public var progress: ProgressSink?
    /// false: the set is built but not recorded as a generation of the board (a previous
    /// release made only for a test; it stays out of `generations` and the fleet's view).
    public var recordsGeneration = true
    /// Passed to every sandbox (tests only; see `Sandbox.Invocation.extraReadOnlyBinds`).
    public var extraReadOnlyBinds: [(host: String, sandbox: String)] = []

    public init(store: Store, jobs: Int = 2, check: Bool = false, onEvent: @escaping @Sendable (Event) -> Void = { _ in }) {
        self.store = store
        self.jobs = jobs
        self.check = check
        self.onEvent = onEvent
    }

    public func build(_ plan: BuildPlan) throws -> Summary {
        let start = Date()
        let state = SchedulerState(steps: plan.steps)
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: max(1, jobs))
        while let step = state.nextReady() {
            slots.wait()
            group.enter()
            Thread.detachNewThread {
                defer { slots.signal(); group.leave() }
                do {
                    let cached = try self.realise(step, plan: plan)
                    if self.check && step.derivation.kind == .component && (self.checkComponents?.contains(step.derivation.name) ?? true) {
                        try self.rebuildAndCompare(step, plan: plan)
                    }
                    state.finish(step.derivation.hash, cached: cached, name: step.derivation.name)
                } catch {
                    state.fail(error)
                }
            }
        }
        group.wait()
        if let error = state.error { throw error }

        var number = plan.generation
        if recordsGeneration {
            let snapshot = try BoardSnapshot.take(plan.board, store: store)
            let all = plan.steps.map(\.derivation.hash) + [snapshot.hash]
            number = try store.recordGeneration(board: plan.board.name, setHash: plan.setHash, components: plan.componentHashes, derivations: all, boardSnapshot: snapshot.storeName)
        }
        let outputs = Dictionary(uniqueKeysWithValues: plan.steps.filter { $0.derivation.kind == .component }.map { ($0.derivation.name, store.path(of: $0.derivation).path) })
        return Summary(
            board: plan.board.name, generation: number, setHash: plan.setHash, built: state.built, cached: state.cached,
            checked: check ? plan.steps.filter { $0.derivation.kind == .component && (checkComponents?.contains($0.derivation.name) ?? true) }.map(\.derivation.name) : [],
            seconds: Date().timeIntervalSince(start), outputs: outputs)
    }

    /// Makes sure the step's output is in the store; returns true when it already was.
    func realise(_ step: BuildPlan.Step, plan: BuildPlan) throws -> Bool {
        let derivation = step.derivation
        if store.contains(derivation) { onEvent(.finished(name: derivation.name, seconds: 0, cached: true)); return true }
        return try store.withLock(derivation) {
            if store.contains(derivation) { onEvent(.finished(name: derivation.name, seconds: 0, cached: true)); return true }
            onEvent(.started(name: derivation.name, hash: derivation.hash))
            let started = Date()
            let tmp = try store.temporaryDirectory(for: derivation)
            defer { try? FileManager.default.removeItem(at: tmp) }
            let log = store.logPath(of: derivation)
            let ticker = progress.map { ProgressTicker(task: Self.task(derivation), log: log, estimate: store.lastBuildSeconds(name: derivation.name), moreLogs: ownLogs(derivation), sink: $0) }
            ticker?.begin()
            do { try produce(step, plan: plan, into: tmp, log: log) } catch {
                ticker?.end(error: error)
                throw error
            }
            ticker?.end(error: nil)
            let seconds = Date().timeIntervalSince(started)
            try store.install(tmp, as: derivation, seconds: seconds, log: log)
            onEvent(.finished(name: derivation.name, seconds: seconds, cached: false))
            return false
        }
    }

    /// The `*.log` files a running builder writes at the top of its `/build` (the kernel's
    /// builder sends `make` to /build/make.log), found in the store's temporary folders of
    /// this derivation, so progress shows the compiler's lines rather than a quiet log.
    func ownLogs(_ derivation: Derivation) -> @Sendable () -> [URL] {
        let tmp = store.root.appendingPathComponent(".tmp")
        let prefix = derivation.storeName + "-"
        return {
            let fm = FileManager.default
            let folders = ((try? fm.contentsOfDirectory(atPath: tmp.path)) ?? []).filter { $0.hasPrefix(prefix) }
            return folders.flatMap { folder -> [URL] in
                let build = tmp.appendingPathComponent(folder).appendingPathComponent("build")
                return ((try? fm.contentsOfDirectory(atPath: build.path)) ?? []).filter { $0.hasSuffix(".log") }.map { build.appendingPathComponent($0) }
            }
        }
    }

    /// The progress task's name: "fetch source-linux", "build kernel", "build buildenv".
    static func task(_ derivation: Derivation) -> String {
        derivation.kind == .source ? "fetch \(derivation.name)" : "build \(derivation.name)"
    }

    func produce(_ step: BuildPlan.Step, plan: BuildPlan, into output: URL, log: URL) throws {
        switch step.derivation.kind {
        case .buildEnvironment:
            // From the store's .debs only: missing ones are fetched (and checked against the
            // lock and Debian's signed index) first, so after `ownerboot fetch` this needs no
            // network at all.
            let env = plan.lock.buildenv!
            if UserNamespaceSupport.unprivileged { throw UnprivilegedError.buildEnvironmentNeedsRoot(board: plan.board.name) }
            try PackageFetcher(store: store).fetch(env)
            let repository = store.root.appendingPathComponent(".tmp/repo-\(step.derivation.storeName)-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: repository) }
            try FileManager.default.removeItem(at: output)
            try BuildEnvironmentBuilder().build(env, from: try LocalRepository.make(for: env, store: store, at: repository), into: output, log: log)
        case .repository:
            // The OS's closure: checked .debs from the store (fetched first when missing).
            let os = plan.lock.os!
            try PackageFetcher(store: store).fetch(os, what: "the OS")
            try FileManager.default.removeItem(at: output)
            _ = try LocalRepository.make(for: os, what: "the OS", store: store, at: output)
        case .source:
            let spec = step.source!
            try SourceFetcher().fetch(spec, locked: plan.lock.sources[spec.name]!, into: output)
        case .component:
            try runSandbox(step, plan: plan, output: output, log: log)
        case .boardSnapshot, .package, .attestation, .archive:
            // Snapshots are copied by `BoardSnapshot.take`, .debs fetched for the build
            // environment, attestations imported: none is planned as a build step.
            preconditionFailure("a \(step.derivation.kind.rawValue) entry is not a build step")
        }
    }

    func runSandbox(_ step: BuildPlan.Step, plan: BuildPlan, output: URL, log: URL) throws {
        let buildDir = try store.temporaryDirectory(for: step.derivation).appendingPathComponent("build")
        try FileManager.default.createDirectory(at: buildDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: buildDir.deletingLastPathComponent()) }
        let buildenv = plan.steps[0].derivation
        var environment = Sandbox.baseEnvironment(sourceDateEpoch: step.derivation.sourceDateEpoch ?? 0, jobs: ProcessInfo.processInfo.activeProcessorCount, board: plan.board.name)
        environment.merge(step.derivation.env) { _, new in new }
        for key in environment.keys { environment[key] = try Self.fillPlaceholders(environment[key]!, step: step) }
        var invocation = Sandbox.Invocation(
            root: store.path(of: buildenv), builder: step.builder!, inputs: step.inputPaths,
            buildDirectory: buildDir, outputDirectory: output, environment: environment, log: log)
        invocation.extraReadOnlyBinds = extraReadOnlyBinds
        invocation.multiID = step.derivation.env["OWNERBOOT_SANDBOX"] == "multi-id"
        let guarded = try guardedInputs(step, buildenv: buildenv)
        let guardian = InputGuard(watching: guarded.map(\.watched))
        try Sandbox().run(invocation, name: step.derivation.name)
        if let change = guardian.changes().first {
            // Poison caught where it happens: the changed store entry is not served again.
            let entry = guarded.first { $0.watched.name == change.input }?.storeEntry
            if let entry { try? store.discard(hash: entry.hash, name: entry.name) }
            throw BuildError.inputChanged(derivation: step.derivation.name, input: change.input, path: change.path, detail: change.detail,
                                          discarded: entry.map { "\($0.hash)-\($0.name)" })
        }
        try OutputCheck.check(output, derivation: step.derivation.name)
        if let pack = step.pack {
            try TreePacker.pack(pack, in: output, mtime: step.derivation.sourceDateEpoch ?? 0)
        }
    }

    /// The build environment and every input of a component, each with the hash it is known
    /// by (the store's record of a store entry, the derivation's hash of a board file) and,
    /// for store entries, which entry to discard when it changed.
    func guardedInputs(_ step: BuildPlan.Step, buildenv: Derivation) throws -> [(watched: InputGuard.Watched, storeEntry: (hash: String, name: String)?)] {
        var result: [(watched: InputGuard.Watched, storeEntry: (hash: String, name: String)?)] = []
        let env = try store.output(hash: buildenv.hash)
        result.append((InputGuard.Watched(name: "buildenv", path: store.path(of: buildenv), hash: env?.contentHash), (buildenv.hash, buildenv.name)))
        for (name, path) in step.inputPaths {
            let declared = step.derivation.inputs.first { $0.name == name }
            if declared?.kind == .file || declared == nil {
                result.append((InputGuard.Watched(name: name, path: path, hash: declared?.hash), nil))
            } else if let hash = declared?.hash, let output = try store.output(hash: hash) {
                result.append((InputGuard.Watched(name: name, path: path, hash: output.contentHash), (hash, output.name)))
            } else {
                result.append((InputGuard.Watched(name: name, path: path, hash: nil), nil))
            }
        }
        if let builder = step.builder {
            result.append((InputGuard.Watched(name: "builder.sh", path: builder, hash: step.derivation.builderHash), nil))
        }
        return result
    }

    /// Replaces each `@input:NAME/FILE@` in an environment value with the contents of FILE
    /// in the input NAME's output (the OS's verity root hash for the ROM's command line). The
    /// derivation hash covers NAME's hash, which fixes FILE, so the value is still a pure
    /// function of the inputs. Only one line of hex (at most 128 digits) is accepted: it ends
    /// up on a kernel command line.
    static func fillPlaceholders(_ value: String, step: BuildPlan.Step) throws -> String {
        var result = value
        while let start = result.range(of: "@input:"), let end = result.range(of: "@", range: start.upperBound..<result.endIndex) {
            let reference = String(result[start.upperBound..<end.lowerBound])
            let placeholder = "@input:\(reference)@"
            let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[1].contains(".."), let input = step.inputPaths.first(where: { $0.name == parts[0] }) else {
                throw BuildError.placeholder(derivation: step.derivation.name, placeholder: placeholder, reason: "it names no input of the component")
            }
            let file = input.path.appendingPathComponent(parts[1])
            guard let handle = FileHandle(forReadingAtPath: file.path) else {
                throw BuildError.placeholder(derivation: step.derivation.name, placeholder: placeholder, reason: "\(file.path) does not exist")
            }
            let bytes = (try handle.read(upToCount: 256)) ?? Data()
            try? handle.close()
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty, text.count <= 128, text.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) else {
                throw BuildError.placeholder(derivation: step.derivation.name, placeholder: placeholder, reason: "\(file.path) is not one line of lowercase hex")
            }
            result = result.replacingCharacters(in: start.lowerBound..<end.upperBound, with: text)
        }
        return result
    }

    /// Builds the component again elsewhere and compares with what the store holds.
    func rebuildAndCompare(_ step: BuildPlan.Step, plan: BuildPlan) throws {
        let second = try store.temporaryDirectory(for: step.derivation)
        defer { try? FileManager.default.removeItem(at: second) }
        let log = store.home.appendingPathComponent("logs/\(step.derivation.storeName).check.log")
        let ticker = progress.map { ProgressTicker(task: "check \(step.derivation.name)", log: log, estimate: store.lastBuildSeconds(name: step.derivation.name), moreLogs: ownLogs(step.derivation), sink: $0) }
        ticker?.begin()
        do { try runSandbox(step, plan: plan, output: second, log: log) } catch {
            ticker?.end(error: error)
            throw error
        }
        ticker?.end(error: nil)
        let stored = store.path(of: step.derivation)
        let first = try TreeHash.hash(of: stored)
        let again = try TreeHash.hash(of: second)
        onEvent(.checked(name: step.derivation.name, identical: first == again))
        if first != again {
            throw BuildError.notReproducible(derivation: step.derivation.name, first: first, second: again, files: try TreeHash.differences(stored, second))
        }
    }
}

/// Which steps are ready, running, done; shared by the scheduler's threads.
final class SchedulerState: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [BuildPlan.Step]
    private var done: Set<String> = []
    private var running = 0
    private(set) var error: Error?
    private(set) var built: [String] = []
    private(set) var cached: [String] = []

    init(steps: [BuildPlan.Step]) { pending = steps }

    /// The next step whose dependencies are done; nil when everything is done or failed.
    func nextReady() -> BuildPlan.Step? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if error != nil || (pending.isEmpty) { return nil }
            if let index = pending.firstIndex(where: { $0.dependencies.allSatisfy(done.contains) }) {
                running += 1
                return pending.remove(at: index)
            }
            if running == 0 { return nil }
            condition.wait()
        }
    }

    func finish(_ hash: String, cached wasCached: Bool, name: String) {
        condition.lock()
        done.insert(hash)
        running -= 1
        if wasCached { cached.append(name) } else { built.append(name) }
        condition.broadcast()
        condition.unlock()
    }

    func fail(_ error: Error) {
        condition.lock()
        if self.error == nil { self.error = error }
        running -= 1
        condition.broadcast()
        condition.unlock()
    }
}
