import Foundation
import Testing
@testable import Orchestrator

/// `ownerboot vm` boots what the board's scenarios boot: qemu-x86's ROM as firmware with a
/// disk sealed to its TPM 2.0; the x230's and hp-abm's payload with the ROM's command line
/// (QEMU cannot run their firmware), whose disk asks for its passphrase.
struct ThrowawayVMTests {
    static func vm(_ board: String) throws -> ThrowawayVM {
        let tests = try TestScenarioLoader().load(RepositoryPaths.boards.appendingPathComponent("\(board)/tests.toml"))
        let artifacts = BoardTestSession.Artifacts(
            rom: URL(fileURLWithPath: "/r/\(board).rom"), osImage: URL(fileURLWithPath: "/o/os.img"), previousROM: nil,
            variables: ["board": board, "rom_cmdline": "console=tty0 quiet ownerboot.board=\(board) ownerboot.kexec=1"],
            luksUUID: "u-u-i-d", kernel: URL(fileURLWithPath: "/k/bzImage"), initrd: URL(fileURLWithPath: "/u/initramfs.cpio.xz"))
        return ThrowawayVM(tests: tests, artifacts: artifacts, workDirectory: URL(fileURLWithPath: "/tmp/vm-test"), sshPort: 2299)
    }

    @Test func aPayloadBoardBootsItsKernelAndUnlockerWithTheROMsCommandLine() throws {
        for board in ["x230", "hp-abm"] {
            let vm = try Self.vm(board)
            #expect(vm.bootsPayload && !vm.unlocksByTPM)
            let args = try vm.machine(disk: URL(fileURLWithPath: "/d.img")).arguments
            #expect(!args.contains("-bios"))
            #expect(args.firstIndex(of: "-kernel").map { args[$0 + 1] } == "/k/bzImage")
            #expect(args.firstIndex(of: "-append").map { args[$0 + 1] } == "console=tty0 quiet ownerboot.board=\(board) ownerboot.kexec=1 console=ttyS0,115200")
            #expect(args.contains("user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:2299-:22"))
        }
    }

    @Test func theEmulatedBoardBootsItsROMAndUnlocksByTPM() throws {
        let vm = try Self.vm("qemu-x86")
        #expect(!vm.bootsPayload && vm.unlocksByTPM)
        let args = try vm.machine(disk: URL(fileURLWithPath: "/d.img")).arguments
        #expect(args.firstIndex(of: "-bios").map { args[$0 + 1] } == "/r/qemu-x86.rom")
        #expect(!args.contains("-kernel"))
    }
}
