import Foundation
import Testing
@testable import Orchestrator

/// Real boards' scenarios boot their kernel and unlocker without firmware, the disk on SATA.
struct PayloadScenarioTests {
    @Test func theRealBoardsDeclarePayloadScenariosOnSATA() throws {
        for board in ["x230", "hp-abm"] {
            let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("\(board)/tests.toml"))
            #expect(tests.qemu.machineType == "q35" && tests.qemu.diskInterface == "ide")
            #expect(tests.scenarios.map(\.rom).allSatisfy { $0 == .payload })
            let names = ["payload-boot", "payload-retry", "payload-tampered-root"] + (board == "x230" ? ["payload-tampered-kernel"] : [])
            #expect(tests.scenarios.map(\.name) == names)
            // They boot the ROM's own command line (rom.sh's cmdline), the serial port the console.
            #expect(tests.qemu.append == "{rom_cmdline} console=ttyS0,115200")
            // The X230's TPM is a 1.2 (board.toml), the hp-abm has none.
            #expect(board == "x230" ? (tests.qemu.tpm == .fresh && tests.qemu.tpmFamily == .tpm12) : tests.qemu.tpm == .none)
        }
    }

    @Test func aPayloadScenarioBootsKernelAndInitrdInsteadOfTheROM() {
        var settings = QEMUSettings()
        settings.machineType = "q35"
        settings.diskInterface = "ide"
        let runner = ScenarioRunner(settings: settings, variables: ["board": "x230", "generation": "3", "set_hash": "abc", "root_uuid": "u-u-i-d"],
                                    transcriptDirectory: URL(fileURLWithPath: "/tmp"))
        let machine = runner.machine(rom: URL(fileURLWithPath: "/r.rom"), disk: URL(fileURLWithPath: "/d.img"),
                                     payload: (URL(fileURLWithPath: "/k/bzImage"), URL(fileURLWithPath: "/u/initramfs.cpio.xz")))
        let args = machine.arguments
        #expect(!args.contains("-bios"))
        #expect(args.contains("file=/d.img,if=ide,format=raw,snapshot=on"))
        let append = args.firstIndex(of: "-append").map { args[$0 + 1] }
        #expect(append == "console=ttyS0,115200 ownerboot.board=x230 ownerboot.generation=3 ownerboot.set=abc ownerboot.root_uuid=u-u-i-d")
        #expect(args.firstIndex(of: "-kernel").map { args[$0 + 1] } == "/k/bzImage")
    }
}
