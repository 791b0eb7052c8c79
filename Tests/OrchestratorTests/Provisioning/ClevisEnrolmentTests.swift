import Foundation
import Support
import Testing
@testable import Orchestrator

/// The one token policy of `ownerboot disk`, the scenarios and `ownerboot vm`, in-process:
/// which thresholds are refused, which boards cannot seal, and that the tokens it binds are
/// in every container and said as `ownerboot disk` says them.
@Suite struct ClevisEnrolmentTests {
    @Test func aThresholdOutsideOneToTheNumberOfPinsIsRefused() {
        #expect(ClevisEnrolment.thresholdError(nil, tang: false, tpm2: false) == nil)
        #expect(ClevisEnrolment.thresholdError(2, tang: true, tpm2: true) == nil)
        #expect(ClevisEnrolment.thresholdError(1, tang: true, tpm2: false) == nil)
        #expect(ClevisEnrolment.thresholdError(2, tang: true, tpm2: false) == .badThreshold(threshold: 2, pins: 1))
        #expect(ClevisEnrolment.thresholdError(0, tang: true, tpm2: true) == .badThreshold(threshold: 0, pins: 2))
        #expect(ClevisEnrolment.thresholdError(1, tang: false, tpm2: false) == .badThreshold(threshold: 1, pins: 0))
    }

    @Test func onlyABoardWithATPM20OrNoneNamedCanSeal() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try ClevisEnrolment.checkTPM2(board: try DeviceDiskTests.board("two", verity: false, tpm: "2.0", in: dir))
        try ClevisEnrolment.checkTPM2(board: try DeviceDiskTests.board("unnamed", verity: false, in: dir))
        #expect(throws: DiskError.noTPM2(board: "old", tpm: "1.2")) { try ClevisEnrolment.checkTPM2(board: try DeviceDiskTests.board("old", verity: false, tpm: "1.2", in: dir)) }
        #expect(throws: DiskError.noTPM2(board: "none", tpm: "none")) { try ClevisEnrolment.checkTPM2(board: try DeviceDiskTests.board("none", verity: false, tpm: "none", in: dir)) }
    }

    @Test func theDiskCommandsTokensAreTangThenTPM2AndAThresholdMakesOneSSSToken() throws {
        let none = try ClevisEnrolment.forDisk(tang: nil, tangAdvertisement: nil, tpm2ROM: nil, threshold: nil)
        #expect(none.tokens.isEmpty)
        let adv = URL(fileURLWithPath: "/a/adv.jws")
        let tang = try ClevisEnrolment.forDisk(tang: "http://t", tangAdvertisement: adv, tpm2ROM: nil, threshold: 1)
        #expect(tang == ClevisEnrolment(tokens: [.tang(url: "http://t", advertisement: adv)], threshold: 1))
        #expect(tang.tokens.map(\.pin) == [.tang(url: "http://t", advertisement: adv)])
        // A ROM without an FMAP has no boot path to seal to, and no manifest to tag with.
        let flat = [UInt8](repeating: 0xFF, count: 4096)
        #expect(try ClevisEnrolment.tpm2Tokens(image: flat, romPath: "flat.rom", tagged: false).isEmpty)
        #expect(throws: (any Error).self) { try ClevisEnrolment.tpm2Tokens(image: flat, romPath: "flat.rom") }
    }

    @Test func tangAndSSSTokensGoIntoTheDiskAndAreSaidAsTheDiskCommandSaysThem() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let disk = try ClevisInteropTests.luksFile(dir, passphrase: "owner passphrase")
        let keys = try ClevisInteropTests.tangKeys(dir)
        var said: [String] = []
        try ClevisEnrolment(tokens: [.tang(url: "http://10.0.2.100", advertisement: keys.adv)])
            .bind(disk: disk, passphrase: { Data("owner passphrase".utf8) }, tcti: "", bound: { said.append($0.description) })
        try ClevisEnrolment(tokens: [.tang(url: "http://10.0.2.100", advertisement: keys.adv), .tang(url: "http://10.0.2.101", advertisement: keys.adv)], threshold: 1)
            .bind(disk: disk, passphrase: { Data("owner passphrase".utf8) }, tcti: "", bound: { said.append($0.description) })
        #expect(said == [
            "bound a Clevis tang token for http://10.0.2.100 in disk",
            "bound a Clevis sss token: 1 of tang, tang in disk",
        ])
        let listed = try ClevisBinder().list(disk: disk)
        #expect(listed.contains("tang") && listed.contains("sss"), "\(listed)")
        #expect(try ClevisBinder().tokenIDs(disk: disk).count == 2)
    }
}
