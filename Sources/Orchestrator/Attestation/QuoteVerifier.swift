import Boot
import Crypto
import Support

/// Checks a device's TPM 2.0 quote against ownerboot's prediction of its PCRs, in Swift, with
/// nothing from the device trusted until the AK's signature covers it:
/// 1. the `TPMT_SIGNATURE` is ECDSA over SHA-256 and verifies with the enrolled AK
///    (swift-crypto, `P256.Signing`) over the exact `TPMS_ATTEST` bytes;
/// 2. those bytes are a `TPMS_ATTEST` of a quote (magic `TPM_GENERATED_VALUE`, type
///    `TPM_ST_ATTEST_QUOTE`; `TPMAttest` parses with checked arithmetic);
/// 3. its extraData is the verifier's nonce (no replayed or borrowed quote);
/// 4. the returned PCR values fit the quote's selection and their SHA-256 is its pcrDigest;
/// 5. the selection covers every PCR the prediction does (SHA-256 bank);
/// 6. every covered PCR holds its predicted value on some boot path (`PCRExpectation`: coreboot's
///    measurements, the unlocker's cap of PCR 2, a kexec hand-over in PCR 8).
/// What it does not check: that the AK belongs to this device's TPM (enrolment's credential
/// activation establishes that once), and qualifiedSigner (the AK's qualified name depends on
/// its parent; the signature already binds the quote to the AK).
public struct QuoteVerifier: Sendable {
    public var key: AttestationKey
    /// One per boot path of the generation the device should run (`PCRExpectation.everyPath`).
    public var expectations: [PCRExpectation]

    public init(key: AttestationKey, expectations: [PCRExpectation]) {
        self.key = key
        self.expectations = expectations
    }

    /// A fresh nonce for one quote: 32 random bytes (`tpm2_quote -q` takes it in hex).
    public static func nonce() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    /// The verdict on `evidence` for `nonce`. `expectedPath`: the path the inventory expects
    /// (compared first, and the one a mismatch is reported against; another path that matches
    /// is still `matches(path:)`, for the caller to flag). `previous`: the clock info of the last
    /// attestation by this AK (for the reset flag). `deviceLog`: coreboot's log from the
    /// device's console, when there is one (to name the event that differs).
    public func verify(_ evidence: QuoteEvidence, nonce: [UInt8], expectedPath: String? = nil,
                       previous: TPMAttest.ClockInfo? = nil, deviceLog: CorebootEventLog? = nil) -> QuoteVerification {
        // 1. The signature, before anything of the message is read.
        let signature: TPMSignature
        do { signature = try TPMSignature.parse(evidence.signature) } catch let error as BootError {
            return QuoteVerification(verdict: .badSignature(reason: error.message))
        } catch { return QuoteVerification(verdict: .badSignature(reason: "\(error)")) }
        guard signature.hash == TPMPCRSelection.sha256 else {
            return QuoteVerification(verdict: .badSignature(reason: "signed over hash 0x\(String(signature.hash, radix: 16)), not SHA-256"))
        }
        guard let raw = signature.raw(size: 32), let ecdsa = try? P256.Signing.ECDSASignature(rawRepresentation: raw) else {
            return QuoteVerification(verdict: .badSignature(reason: "r or s is not a P-256 value"))
        }
        guard key.publicKey.isValidSignature(ecdsa, for: evidence.attest) else {
            return QuoteVerification(verdict: .badSignature(reason: "the signature does not verify with the AK \(key.nameHex) over these bytes (another key signed them, or they were changed)"))
        }
        // 2. What was signed.
        let attest: TPMAttest
        do { attest = try TPMAttest.parse(evidence.attest) } catch let error as BootError {
            return QuoteVerification(verdict: .notAQuote(reason: error.message))
        } catch { return QuoteVerification(verdict: .notAQuote(reason: "\(error)")) }
        var result = QuoteVerification(verdict: .notAQuote(reason: ""), clockInfo: attest.clockInfo)
        if let previous {
            result.resetSincePrevious = previous.resetCount != attest.clockInfo.resetCount
            result.restartedSincePrevious = previous.restartCount != attest.clockInfo.restartCount
        }
        // 3. Fresh.
        guard attest.extraData == nonce else {
            result.verdict = .wrongNonce(expected: Self.hex(nonce), found: Self.hex(attest.extraData))
            return result
        }
        // 4. The values are the signed ones.
        var offset = 0
        var quoted: [Int: String] = [:]
        for (hash, pcr) in attest.pcrSelection.ordered {
            guard let size = Self.digestSize[hash] else {
                result.verdict = .notAQuote(reason: "the selection names a bank of unknown hash 0x\(String(hash, radix: 16))")
                return result
            }
            guard evidence.pcrValues.count - offset >= size else {
                result.verdict = .valuesNotQuoted(reason: "\(evidence.pcrValues.count) bytes of values for a selection of \(attest.pcrSelection.ordered.count) PCRs")
                return result
            }
            if hash == TPMPCRSelection.sha256 { quoted[pcr] = Self.hex(Array(evidence.pcrValues[offset..<(offset + size)])) }
            offset += size
        }
        guard offset == evidence.pcrValues.count else {
            result.verdict = .valuesNotQuoted(reason: "\(evidence.pcrValues.count) bytes of values, the selection needs \(offset)")
            return result
        }
        guard SHA256Digest.bytes(evidence.pcrValues) == attest.pcrDigest else {
            result.verdict = .valuesNotQuoted(reason: "their SHA-256 is not the signed pcrDigest \(Self.hex(attest.pcrDigest))")
            return result
        }
        result.quotedPCRs = quoted
        // 5. Covered.
        let covered = Set(expectations.flatMap(\.pcrs))
        result.unpredictedPCRs = quoted.keys.filter { !covered.contains($0) }.sorted()
        let missing = covered.subtracting(quoted.keys).sorted()
        guard missing.isEmpty else {
            result.verdict = .selectionMissing(pcrs: missing)
            return result
        }
        // 6. Against the prediction, the expected path first.
        let ordered = expectations.filter { $0.path == expectedPath } + expectations.filter { $0.path != expectedPath }
        guard !ordered.isEmpty else {
            result.verdict = .mismatch(PCRMismatch(path: "none", pcr: -1, expected: "", found: "", predictedEvents: [], otherPCRs: []))
            return result
        }
        func differing(_ e: PCRExpectation) -> [Int] { e.pcrs.filter { quoted[$0] != e.values[$0] } }
        if let match = ordered.first(where: { differing($0).isEmpty }) {
            result.verdict = .matches(path: match.path)
            return result
        }
        let against = expectedPath.flatMap { p in ordered.first { $0.path == p } } ?? ordered.min { differing($0).count < differing($1).count }!
        let diff = differing(against)
        result.verdict = .mismatch(explain(pcr: diff[0], found: quoted[diff[0]] ?? PCRPrediction.zero, against: against,
                                           others: Array(diff.dropFirst()), deviceLog: deviceLog))
        return result
    }

    /// Lowercase hex of `bytes`.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Digest sizes of the banks a selection may name.
    static let digestSize: [UInt16: Int] = [0x0004: 20, 0x000B: 32, 0x000C: 48, 0x000D: 64, 0x0012: 32]

    /// What can be said about PCR `pcr` holding `found` instead of `against`'s value.
    func explain(pcr: Int, found: String, against: PCRExpectation, others: [Int], deviceLog: CorebootEventLog?) -> PCRMismatch {
        let events = against.events[pcr] ?? []
        var mismatch = PCRMismatch(path: against.path, pcr: pcr, expected: against.values[pcr] ?? PCRPrediction.zero, found: found,
                                   predictedEvents: events, otherPCRs: others)
        // Values the verifier can compute: the chain cut short, one cap too many, another path's.
        let digests = events.map(\.digest)
        if found == PCRPrediction.zero {
            mismatch.recognized = "it is zero: nothing was measured into it"
        } else if let k = (1..<max(1, digests.count)).first(where: { PCRExpectation.replay(Array(digests.prefix($0))) == found }) {
            mismatch.recognized = "it holds the predicted log cut short after \(events[k - 1].name): \(events[k...].map(\.name).joined(separator: ", ")) did not follow"
        } else if pcr == UnlockerCap.pcr, PCRExpectation.replay(digests + [UnlockerCap.digest]) == found {
            mismatch.recognized = "it holds the predicted value capped twice"
        } else if let other = expectations.first(where: { $0.path != against.path && $0.values[pcr] == found }) {
            mismatch.recognized = "it holds the \(other.path) path's value"
        }
        // The device's own log, when it replays to the signed value.
        if let deviceLog, events.contains(where: { $0.offset >= 0 }) {
            let logged = deviceLog.entries(ofPCR: pcr)
            let unlocker = events.filter { $0.offset < 0 }
            guard PCRExpectation.replay(logged.map(\.digest) + unlocker.map(\.digest)) == found else {
                mismatch.logFinding = "the device's coreboot log (\(logged.count) events for PCR \(pcr)) does not replay to the quoted value, so it says nothing"
                return mismatch
            }
            let firmware = events.filter { $0.offset >= 0 }
            for (i, event) in firmware.enumerated() where i >= logged.count || logged[i].digest != event.digest {
                mismatch.firstDifferingEvent = event
                mismatch.loggedInstead = i < logged.count ? logged[i] : nil
                return mismatch
            }
            if logged.count > firmware.count {
                mismatch.logFinding = "the device logged \(logged.count - firmware.count) more event(s) than predicted, first \(logged[firmware.count].name)"
            }
        }
        return mismatch
    }
}
