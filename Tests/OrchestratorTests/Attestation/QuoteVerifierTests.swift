import Boot
import Foundation
import Support
import Testing
@testable import Orchestrator

/// Real TPM 2.0 quotes (swtpm on loopback, tpm2-tools 5.4: an ECC P-256 AK made under the EK
/// with `tpm2_createak`, `tpm2_quote -l sha256:0,…,7`) verified against the prediction of a ROM
/// with a fallback and a normal half: a match beside each refusal.
@Suite(.serialized) struct QuoteVerifierTests {
    /// A device: a TPM with an AK, extended as ownerboot's firmware and unlocker would.
    final class Device {
        let dir: URL
        let tpm: SoftwareTPM
        let env: [String: String]
        let key: AttestationKey

        init(_ dir: URL) throws {
            self.dir = dir
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            tpm = try SoftwareTPM(stateDirectory: dir.appendingPathComponent("tpm"), loopback: true)
            var env = ProcessInfo.processInfo.environment
            env["TPM2TOOLS_TCTI"] = try #require(tpm.tcti)
            self.env = env
            // No resource manager: every object a tool leaves loaded is flushed after it.
            try Self.tool(env, "tpm2_createek", ["-c", dir.appendingPathComponent("ek.ctx").path, "-G", "ecc", "-u", dir.appendingPathComponent("ek.pub").path])
            try Self.tool(env, "tpm2_createak", ["-C", dir.appendingPathComponent("ek.ctx").path, "-c", dir.appendingPathComponent("ak.ctx").path,
                                                 "-G", "ecc", "-g", "sha256", "-s", "ecdsa",
                                                 "-u", dir.appendingPathComponent("ak.pub").path, "-n", dir.appendingPathComponent("ak.name").path])
            // A persistent handle, as enrolment makes it: a transient context dies with a TPM reset.
            try Self.tool(env, "tpm2_evictcontrol", ["-C", "o", "-c", dir.appendingPathComponent("ak.ctx").path, Self.handle])
            key = try AttestationKey(tpm2bPublic: [UInt8](try Data(contentsOf: dir.appendingPathComponent("ak.pub"))))
            // The name this verifier computes is the one tpm2_createak wrote (what MakeCredential binds).
            #expect(key.name == [UInt8](try Data(contentsOf: dir.appendingPathComponent("ak.name"))))
        }

        static let handle = "0x81010002"

        static func tool(_ env: [String: String], _ name: String, _ args: [String]) throws {
            try ProcessRunner(environment: env).checked(name, args)
            try ProcessRunner(environment: env).checked("tpm2_flushcontext", ["-t"])
            try ProcessRunner(environment: env).checked("tpm2_flushcontext", ["-s"])
        }

        func extend(_ pcr: Int, _ digests: [String]) throws {
            for d in digests { try ProcessRunner(environment: env).checked("tpm2_pcrextend", ["\(pcr):sha256=\(d)"]) }
        }

        /// What the firmware and the unlocker measure on `expectation`'s path.
        func boot(_ expectation: PCRExpectation) throws {
            for (pcr, events) in expectation.events.sorted(by: { $0.key < $1.key }) { try extend(pcr, events.map(\.digest)) }
        }

        func quote(nonce: [UInt8], pcrs: String = "sha256:0,1,2,3,4,5,6,7") throws -> QuoteEvidence {
            let m = dir.appendingPathComponent("attest"), s = dir.appendingPathComponent("sig"), o = dir.appendingPathComponent("pcrs")
            try Self.tool(env, "tpm2_quote", ["-c", Self.handle, "-l", pcrs, "-q", QuoteVerifier.hex(nonce),
                                              "-m", m.path, "-s", s.path, "-o", o.path, "--pcrs_format", "values", "-g", "sha256"])
            func read(_ u: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: u)) }
            return QuoteEvidence(attest: try read(m), signature: try read(s), pcrValues: try read(o))
        }

        /// A TPM reset, as a reboot gives one: swtpm's control channel, then TPM2_Startup(CLEAR).
        func reset() throws {
            try ProcessRunner().checked("swtpm_ioctl", ["--tcp", "127.0.0.1:\(try #require(tpm.port) + 1)", "-i"])
            try ProcessRunner(environment: env).checked("tpm2_startup", ["-c"])
        }

        deinit { tpm.close() }
    }

    /// A 1 MiB ROM with FMAP, COREBOOT (bootblock and the fallback stages) and NORMAL (the
    /// normal stages), by fmaptool and cbfstool; `romstage` is the fallback romstage's content.
    static func rom(_ dir: URL, romstage: String = "fallback romstage") throws -> [UInt8] {
        let fmd = dir.appendingPathComponent("l.fmd"), fmap = dir.appendingPathComponent("l.fmap"), rom = dir.appendingPathComponent("r.rom")
        try "FLASH@0xfff00000 1M {\n\tFMAP@0 0x200\n\tNORMAL(CBFS)@0x200 0x7FE00\n\tCOREBOOT(CBFS)@0x80000 0x80000\n}\n".write(to: fmd, atomically: true, encoding: .utf8)
        try ProcessRunner().checked("fmaptool", [fmd.path, fmap.path])
        try? FileManager.default.removeItem(at: rom)
        try ProcessRunner().checked("cbfstool", [rom.path, "create", "-M", fmap.path, "-r", "COREBOOT,NORMAL"])
        let files: [(String, String, String)] = [
            ("COREBOOT", "bootblock", "bootblock"), ("COREBOOT", "fallback/romstage", romstage), ("COREBOOT", "fallback/postcar", "postcar"),
            ("COREBOOT", "fallback/ramstage", "ramstage"), ("COREBOOT", "fallback/payload", "payload"),
            ("NORMAL", "normal/romstage", "normal romstage"), ("NORMAL", "normal/postcar", "normal postcar"),
            ("NORMAL", "normal/ramstage", "normal ramstage"), ("NORMAL", "normal/payload", "normal payload"),
        ]
        for (region, name, text) in files {
            let f = dir.appendingPathComponent("content")
            try Data(String(repeating: text + " ", count: 200).utf8).write(to: f)
            try ProcessRunner().checked("cbfstool", [rom.path, "add", "-r", region, "-n", name, "-f", f.path, "-t", "raw"])
        }
        return [UInt8](try Data(contentsOf: rom))
    }

    @Test func aQuoteMatchesItsPathAndEveryForgeryIsRefused() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expectations = try PCRExpectation.everyPath(in: Self.rom(dir))
        #expect(expectations.map(\.path) == ["fallback", "normal"])
        let device = try Device(dir.appendingPathComponent("device"))
        try device.boot(expectations[0])
        let verifier = QuoteVerifier(key: device.key, expectations: expectations)
        let nonce = QuoteVerifier.nonce()
        let evidence = try device.quote(nonce: nonce)
        let good = verifier.verify(evidence, nonce: nonce, expectedPath: "fallback")
        #expect(good.verdict == .matches(path: "fallback"), "\(good.verdict.summary)")
        #expect(good.clockInfo?.resetCount == 1 && good.unpredictedPCRs.isEmpty)
        #expect(good.quotedPCRs[2] == expectations[0].values[2])
        // Expecting normal, finding fallback: still a match, on the path found (the caller flags it).
        #expect(verifier.verify(evidence, nonce: nonce, expectedPath: "normal").verdict == .matches(path: "fallback"))

        // Another nonce: a replayed quote.
        if case .wrongNonce = verifier.verify(evidence, nonce: QuoteVerifier.nonce()).verdict {} else { Issue.record("another nonce was accepted") }
        // A byte of the signature, a byte of the signed message (the clock).
        var badSig = evidence
        badSig.signature[10] ^= 1
        if case .badSignature = verifier.verify(badSig, nonce: nonce).verdict {} else { Issue.record("a flipped signature byte was accepted") }
        var badAttest = evidence
        badAttest.attest[badAttest.attest.count - 40] ^= 1
        if case .badSignature = verifier.verify(badAttest, nonce: nonce).verdict {} else { Issue.record("a flipped attest byte was accepted") }
        // A returned PCR value changed (PCR 3's first byte): not the signed digest.
        var badValue = evidence
        badValue.pcrValues[3 * 32] ^= 1
        if case .valuesNotQuoted = verifier.verify(badValue, nonce: nonce).verdict {} else { Issue.record("a changed PCR value was accepted") }
        var short = evidence
        short.pcrValues.removeLast()
        if case .valuesNotQuoted = verifier.verify(short, nonce: nonce).verdict {} else { Issue.record("a short value list was accepted") }
        // A kexec board's prediction covers PCR 8, which this quote does not select.
        let kexec = try PCRExpectation.everyPath(in: Self.rom(dir), kexec: (SHA256Digest.hex([1]), "ownerboot.stage=2"))
        #expect(QuoteVerifier(key: device.key, expectations: kexec).verify(evidence, nonce: nonce).verdict == .selectionMissing(pcrs: [8]))

        // PCR 2 extended once more than predicted: signed and fresh, but a mismatch naming PCR 2.
        try device.extend(2, [SHA256Digest.hex(Array("one more".utf8))])
        let nonce2 = QuoteVerifier.nonce()
        let extra = verifier.verify(try device.quote(nonce: nonce2), nonce: nonce2, expectedPath: "fallback", previous: good.clockInfo)
        guard case .mismatch(let m) = extra.verdict else { Issue.record("an extra extend matched: \(extra.verdict)"); return }
        #expect(m.pcr == 2 && m.path == "fallback" && m.otherPCRs.isEmpty && m.expected == expectations[0].values[2])
        #expect(m.predictedEvents.map(\.name).prefix(3) == ["FMAP: FMAP", "FMAP: COREBOOT CBFS: bootblock", "FMAP: COREBOOT CBFS: fallback/romstage"])
        #expect(m.detail.contains("PCR 2 differs") && m.detail.contains("a final value alone does not show"), "\(m.detail)")
        #expect(extra.resetSincePrevious == false)
    }

    @Test func aQuoteByAnotherKeyIsRefusedAndATamperedRomstageIsNamedFromTheLog() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expectations = try PCRExpectation.everyPath(in: Self.rom(dir))
        let tampered = try PCRExpectation.everyPath(in: Self.rom(dir, romstage: "an attacker's romstage"))
        let owner = try Device(dir.appendingPathComponent("owner"))
        let other = try Device(dir.appendingPathComponent("other"))
        try other.boot(tampered[0])
        let nonce = QuoteVerifier.nonce()
        let evidence = try other.quote(nonce: nonce)
        // Signed by the other TPM's AK, checked with the enrolled one.
        let foreign = QuoteVerifier(key: owner.key, expectations: expectations).verify(evidence, nonce: nonce)
        if case .badSignature = foreign.verdict {} else { Issue.record("a quote by another key was accepted: \(foreign.verdict)") }
        #expect(owner.key.name != other.key.name)
        // With its own key: PCR 2 differs; its coreboot log (as the console prints it) names the file.
        let verifier = QuoteVerifier(key: other.key, expectations: expectations)
        let log = CorebootEventLog(console: tampered[0].events[2]!.filter { $0.offset >= 0 }.map { "[INFO ]  PCR-2 \($0.digest) SHA256 [\($0.name)]" }.joined(separator: "\n"))
        #expect(log.entries.count == 6)
        let named = verifier.verify(evidence, nonce: nonce, expectedPath: "fallback", deviceLog: log)
        guard case .mismatch(let m) = named.verdict else { Issue.record("a tampered romstage matched: \(named.verdict)"); return }
        #expect(m.pcr == 2 && m.firstDifferingEvent?.name == "FMAP: COREBOOT CBFS: fallback/romstage", "\(m.detail)")
        #expect(m.detail.contains("the first event that differs is FMAP: COREBOOT CBFS: fallback/romstage"), "\(m.detail)")
        // A log that does not replay to the signed value says nothing.
        let lying = CorebootEventLog(console: expectations[0].events[2]!.filter { $0.offset >= 0 }.map { " PCR-2 \($0.digest) SHA256 [\($0.name)]" }.joined(separator: "\n"))
        guard case .mismatch(let l) = verifier.verify(evidence, nonce: nonce, expectedPath: "fallback", deviceLog: lying).verdict else { Issue.record("matched"); return }
        #expect(l.firstDifferingEvent == nil && l.logFinding?.contains("does not replay") == true)
    }

    /// qemu-x86's real ROM, when this checkout has built it (`result/qemu-x86/rom`, a link into
    /// the store): both paths quoted and matched, and the time one verification takes.
    static let qemuROM = RepositoryPaths.root.appendingPathComponent("result/qemu-x86/rom/qemu-x86.rom")

    @Test(.enabled(if: FileManager.default.fileExists(atPath: qemuROM.path))) func qemuX86sOwnROMQuotesOnBothPaths() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expectations = try PCRExpectation.everyPath(in: [UInt8](try Data(contentsOf: Self.qemuROM)))
        #expect(expectations.map(\.path) == ["fallback", "normal"])
        for expectation in expectations {
            let device = try Device(dir.appendingPathComponent(expectation.path))
            try device.boot(expectation)
            let nonce = QuoteVerifier.nonce()
            let evidence = try device.quote(nonce: nonce)
            let verifier = QuoteVerifier(key: device.key, expectations: expectations)
            let start = Date()
            let result = verifier.verify(evidence, nonce: nonce, expectedPath: "normal")
            print("qemu-x86 \(expectation.path): \(result.verdict.summary) in \(Int(Date().timeIntervalSince(start) * 1_000_000)) µs; PCR 2 events: \(expectation.events[2]!.map(\.name).joined(separator: ", "))")
            #expect(result.verdict == .matches(path: expectation.path))
        }
    }

    /// The normal path of a kexec board: PCR 8 extended by the real `ob-unlock -x 8` (the
    /// kernel file, then the command line file, as handover.sh does) and PCR 2 capped by
    /// `ob-unlock -x 2` with the cap event; then a reset shows in the next quote.
    @Test func theNormalPathWithAKexecHandOverMatchesAndAResetShows() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let obUnlock = try ClevisInteropTests.obUnlock(dir)
        let kernel = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 1) })
        let commandLine = "ownerboot.stage=2 console=ttyS0,115200 quiet init_on_free=1"
        let kernelFile = dir.appendingPathComponent("vmlinuz"), lineFile = dir.appendingPathComponent("cmdline"), capFile = dir.appendingPathComponent("cap-event")
        try kernel.write(to: kernelFile)
        try Data(commandLine.utf8).write(to: lineFile)
        try Data(UnlockerCap.data).write(to: capFile)
        let expectations = try PCRExpectation.everyPath(in: Self.rom(dir), kexec: (SHA256Digest.hex(kernel), commandLine))
        let normal = try #require(expectations.first { $0.path == "normal" })
        let device = try Device(dir.appendingPathComponent("device"))
        // coreboot's events of the normal path, then the unlocker's own measurements by ob-unlock.
        try device.extend(2, normal.events[2]!.filter { $0.offset >= 0 }.map(\.digest))
        let port = try #require(device.tpm.port)
        for (pcr, file) in [(8, kernelFile), (8, lineFile), (2, capFile)] {
            let run = try ProcessRunner().run(obUnlock.path, ["-t", "\(port)", "-V", "2", "-x", "\(pcr)", file.path])
            #expect(run.status == 0, "\(run.stderrText)")
        }
        let verifier = QuoteVerifier(key: device.key, expectations: expectations)
        let nonce = QuoteVerifier.nonce()
        let first = verifier.verify(try device.quote(nonce: nonce, pcrs: "sha256:0,1,2,3,4,5,6,7,8"), nonce: nonce, expectedPath: "fallback")
        #expect(first.verdict == .matches(path: "normal"), "\(first.verdict.summary)")
        // A reset: the same values replayed, the reset count moves on.
        try device.reset()
        try device.extend(2, normal.events[2]!.map(\.digest))
        try device.extend(8, normal.events[8]!.map(\.digest))
        let nonce2 = QuoteVerifier.nonce()
        let second = verifier.verify(try device.quote(nonce: nonce2, pcrs: "sha256:0,1,2,3,4,5,6,7,8"), nonce: nonce2, previous: first.clockInfo)
        #expect(second.verdict == .matches(path: "normal") && second.resetSincePrevious == true)
        #expect(second.clockInfo?.resetCount == (first.clockInfo?.resetCount ?? 0) + 1)
        // PCR 8 with the kernel but without the command line: recognised from its value alone.
        try device.reset()
        try device.extend(2, normal.events[2]!.map(\.digest))
        try device.extend(8, [normal.events[8]![0].digest])
        let nonce3 = QuoteVerifier.nonce()
        guard case .mismatch(let m) = verifier.verify(try device.quote(nonce: nonce3, pcrs: "sha256:0,1,2,3,4,5,6,7,8"), nonce: nonce3, expectedPath: "normal").verdict else {
            Issue.record("PCR 8 without the command line matched"); return
        }
        #expect(m.pcr == 8 && m.recognized?.contains("cut short after ownerboot hand-over: OS kernel") == true, "\(m.detail)")
    }
}
