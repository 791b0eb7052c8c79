import Foundation
import Support
import Testing
@testable import Boot

/// The TPM 2.0 structures of a quote, read from real swtpm output (Fuzz/Corpus/tpm-quote, made
/// by scripts/fuzz-seeds.sh with tpm2-tools 5.4 against swtpm 0.7; the fields as `tpm2_print -t
/// TPMS_ATTEST` shows them), and refused typed when cut, oversized or of another kind. Only what
/// stays the same when the seeds are made again (new keys, another clock) is pinned; the AK's
/// name is checked against `tpm2_createak -n` in QuoteVerifierTests.
@Suite struct TPMQuoteStructureTests {
    static func seed(_ name: String) throws -> [UInt8] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/tpm-quote/\(name)")
        return [UInt8](try Data(contentsOf: url))
    }

    static func hex(_ s: String) -> [UInt8] { PCRPrediction.bytes(hex: s) }

    @Test func aQuoteBySwtpmReadsAsTpm2PrintShowsIt() throws {
        let bytes = try Self.seed("attest-ek-ak")
        let attest = try TPMAttest.parse(bytes)
        #expect(attest.type == 0x8018)
        #expect(attest.extraData == Self.hex("0011223344556677"))
        // A fresh swtpm, started once: one reset, no resume.
        #expect(attest.clockInfo.resetCount == 1 && attest.clockInfo.restartCount == 0 && attest.clockInfo.safe)
        // A UINT64 is big-endian like every TPM integer (tpm2_print shows firmwareVersion's 32-bit
        // halves swapped); it sits before the selection (10 bytes) and the digest (34).
        #expect(attest.firmwareVersion == bytes[(bytes.count - 52)..<(bytes.count - 44)].reduce(0) { $0 << 8 | UInt64($1) })
        #expect(attest.pcrSelection.banks == [TPMPCRSelection.Bank(hash: 0x000B, pcrs: Array(0...7), sizeOfSelect: 3)])
        #expect(attest.pcrDigest.count == 32 && attest.qualifiedSigner.count == 34)
        #expect(attest.serialize() == bytes)
        // Under an AK of the owner hierarchy the TPM offsets the counters by a constant of the key.
        let owner = try TPMAttest.parse(try Self.seed("attest-owner-ak"))
        #expect(owner.clockInfo.resetCount != 1 && owner.extraData == Self.hex("00112233445566778899aabbccddeeff"))
    }

    @Test func signatureAndPublicKeyAndName() throws {
        let sig = try TPMSignature.parse(try Self.seed("signature-owner-ak"))
        #expect(sig.algorithm == TPMSignature.ecdsa && sig.hash == 0x000B && sig.r.count == 32 && sig.s.count == 32)
        #expect(sig.raw(size: 32)?.count == 64)
        let ak = try TPMPublicArea.parse(try Self.seed("public-owner-ak"))
        #expect(ak.curve == TPMPublicArea.nistP256 && ak.attributes.contains(.attestationKey) && ak.scheme == TPMSignature.ecdsa)
        // nameAlg, then SHA-256 of the TPMT_PUBLIC (the bytes after TPM2B_PUBLIC's size).
        #expect(ak.name == [0x00, 0x0B] + SHA256Digest.bytes(Array(try Self.seed("public-owner-ak").dropFirst(2))))
        #expect(ak.uncompressedPoint(size: 32)?.count == 65)
        // The ECC EK: a restricted decryption key with AES-128-CFB and a policy; an RSA EK is refused typed.
        let ek = try TPMPublicArea.parse(try Self.seed("public-ek-ecc"))
        #expect(ek.symmetric == 0x0006 && ek.authPolicy.count == 32 && ek.attributes.contains(.decrypt))
        #expect(throws: BootError.self) { try TPMPublicArea.parse(try Self.seed("public-ek-rsa")) }
    }

    @Test func everyCutAndAnOversizedLengthIsATypedError() throws {
        for name in ["attest-ek-ak", "signature-ek-ak", "public-ek-ak"] {
            let bytes = try Self.seed(name)
            for n in 0..<bytes.count {
                let cut = Array(bytes.prefix(n))
                #expect(throws: BootError.self) { _ = try TPMAttest.parse(cut); _ = try TPMSignature.parse(cut); _ = try TPMPublicArea.parse(cut) }
            }
            #expect(throws: BootError.self) { try TPMAttest.parse(bytes + [0]) }
        }
        var attest = try Self.seed("attest-ek-ak")
        attest[6] = 0xFF  // qualifiedSigner's size: 0xFF22
        #expect(throws: BootError.malformed(what: "TPMS_ATTEST qualifiedSigner", offset: 6, reason: "size 65314 exceeds the largest this structure allows (66)")) { try TPMAttest.parse(attest) }
        var magic = try Self.seed("attest-ek-ak")
        magic[0] = 0
        #expect(throws: BootError.badMagic(what: "TPMS_ATTEST", offset: 0, found: "0x544347")) { try TPMAttest.parse(magic) }
        var type = try Self.seed("attest-ek-ak")
        type[5] = 0x17  // TPM_ST_ATTEST_CERTIFY
        #expect(throws: BootError.self) { try TPMAttest.parse(type) }
        let banks: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(throws: BootError.self) { try TPMPCRSelection.parse(banks) }
    }

    @Test func selectionOrderAndRoundTrip() throws {
        let selection = TPMPCRSelection(banks: [.init(hash: 0x0004, pcrs: [0, 7]), .init(hash: 0x000B, pcrs: [8, 2, 16])])
        let bytes = selection.serialize()
        #expect(bytes == [0, 0, 0, 2, 0x00, 0x04, 3, 0x81, 0, 0, 0x00, 0x0B, 3, 0x04, 0x01, 0x01])
        let (parsed, next) = try TPMPCRSelection.parse(bytes)
        #expect(parsed == selection && next == bytes.count)
        #expect(parsed.ordered.map(\.pcr) == [0, 7, 2, 8, 16] && parsed.pcrs(inBank: 0x000B) == [2, 8, 16])
    }

    /// PCR 8 as the unlocker leaves it before kexec: extend(extend(0, sha256(kernel)), sha256(cmdline)),
    /// by sha256sum over the binary concatenation.
    @Test func kexecPCR8IsTheKernelThenTheCommandLine() throws {
        let kernel = SHA256Digest.hex(Array("a kernel".utf8))
        let line = "ownerboot.stage=2 console=ttyS0 init_on_free=1"
        let step1 = SHA256Digest.hex(PCRPrediction.bytes(hex: PCRPrediction.zero) + PCRPrediction.bytes(hex: kernel))
        let step2 = SHA256Digest.hex(PCRPrediction.bytes(hex: step1) + SHA256Digest.bytes(Array(line.utf8)))
        #expect(KexecMeasurement.value(kernelSHA256: kernel.uppercased(), commandLine: line) == step2)
        #expect(KexecMeasurement.events(kernelSHA256: kernel, commandLine: line).map(\.pcr) == [8, 8])
    }

    @Test func theExpectationIsThePredictionCapped() throws {
        let (_, rom) = try PCRPredictionTests.rom()
        let image = try CorebootTools.read(rom)
        let prediction = try PCRPrediction.predict(image: image)
        let e = PCRExpectation(prediction: prediction)
        #expect(e.pcrs == Array(0...7))
        #expect(e.values[2] == prediction.cappedValue(ofPCR: 2))
        #expect(e.values[0] == PCRPrediction.zero && e.events[2]?.last == PCRExpectation.capEvent)
        let k = PCRExpectation(prediction: prediction, kexec: (SHA256Digest.hex([1]), "x"))
        #expect(k.pcrs == Array(0...8) && k.values[8] == KexecMeasurement.value(kernelSHA256: SHA256Digest.hex([1]), commandLine: "x"))
        #expect(try PCRExpectation.everyPath(in: image).map(\.path) == ["fallback"])
    }
}
