import Foundation
import Support
import Testing
@testable import Orchestrator

/// A board with `[os]`: its closure is a planned repository step, its builder gets the owner's
/// public settings, and the ROM pins the OS's verity root hash (filled in from the built OS).
@Suite struct OSPlanTests {
    func step(_ name: String, inputs: [(String, URL)]) -> BuildPlan.Step {
        BuildPlan.Step(derivation: Derivation(name: name, kind: .component), dependencies: [], builder: nil, inputPaths: inputs)
    }

    @Test func aPlaceholderIsFilledFromTheInputsFileAndOnlyWithHex() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let os = dir.appendingPathComponent("os")
        try FileManager.default.createDirectory(at: os, withIntermediateDirectories: true)
        let root = String(repeating: "ab", count: 32)
        try Data((root + "\n").utf8).write(to: os.appendingPathComponent("roothash"))
        try Data("123456\n".utf8).write(to: os.appendingPathComponent("hash_offset"))
        let rom = step("rom", inputs: [("os", os)])
        #expect(try Builder.fillPlaceholders("x ownerboot.verity=@input:os/roothash@ ownerboot.verity_offset=@input:os/hash_offset@ y", step: rom)
                == "x ownerboot.verity=\(root) ownerboot.verity_offset=123456 y")
        #expect(try Builder.fillPlaceholders("no placeholder", step: rom) == "no placeholder")
        // Anything that is not one line of hex would reach the kernel command line: refused.
        try Data("ab init=/bin/sh\n".utf8).write(to: os.appendingPathComponent("roothash"))
        #expect(throws: BuildError.self) { try Builder.fillPlaceholders("@input:os/roothash@", step: rom) }
        #expect(throws: BuildError.self) { try Builder.fillPlaceholders("@input:os/missing@", step: rom) }
        #expect(throws: BuildError.self) { try Builder.fillPlaceholders("@input:kernel/roothash@", step: rom) }
        #expect(throws: BuildError.self) { try Builder.fillPlaceholders("@input:os/../os/roothash@", step: rom) }
    }

    @Test func qemuX86PlansItsOSFromThePinnedClosureAndTheROMPinsTheRootHash() throws {
        let board = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let os = try #require(board.os)
        #expect(os.packages.contains("openssh-server") && os.packages.contains("systemd"))
        #expect(os.sshKeys.allSatisfy { $0.hasPrefix("ssh-ed25519 ") })
        let lock = try LockFile.load(for: board)
        #expect((lock.os?.packages.count ?? 0) > 50)
        let home = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let plan = try BuildPlan.make(board: board, lock: lock, store: try Store(home: home))
        let repository = try #require(plan.step(named: OSSpec.packagesInput))
        #expect(repository.derivation.kind == .repository && repository.derivation.fixedOutput == lock.osPackagesHash)
        let osStep = try #require(plan.step(named: "os"))
        #expect(osStep.dependencies.contains(repository.derivation.hash))
        #expect(osStep.derivation.env["OWNERBOOT_SANDBOX"] == "multi-id")
        #expect(osStep.derivation.env["OS_HOSTNAME"] == "qemu-x86" && osStep.derivation.env["OS_USERS"] == "owner")
        let rom = try #require(plan.step(named: "rom"))
        let cmdline = try #require(rom.derivation.env["OWNERBOOT_CMDLINE"])
        #expect(cmdline.contains("ownerboot.verity=@input:os/roothash@"))
        #expect(!cmdline.contains(" roothash="), "systemd's verity generator would take roothash=")
        #expect(cmdline.contains("ownerboot.state_uuid=\(board.stateUUID!)"))
        #expect(rom.derivation.env["OWNERBOOT_MANIFEST"]?.contains("\"osRootHash\":\"@input:os/roothash@\"") == true)
        #expect(rom.dependencies.contains(osStep.derivation.hash))
    }

    @Test func kexecBoardsCarryTheirKernelAndTheROMAsksForTheHandOver() throws {
        // x230 and hp-abm: the OS carries Debian's kernel, the unlocker in flash kexecs it.
        for name in ["x230", "hp-abm"] {
            let board = try BoardCatalog(directory: RepositoryPaths.boards).load(name)
            let os = try #require(board.os)
            #expect(os.kernel == .kexec)
            let lock = try LockFile.load(for: board)
            #expect(lock.os?.packages.contains { $0.name.hasPrefix("linux-image-6.1.0-") } == true)
            let home = try RepositoryPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: home) }
            let plan = try BuildPlan.make(board: board, lock: lock, store: try Store(home: home))
            let osStep = try #require(plan.step(named: "os"))
            #expect(osStep.derivation.env["OS_KERNEL"] == "kexec")
            #expect(osStep.derivation.env["OS_KEXEC_MODULES"]?.contains("dm-verity") == true)
            let cmdline = try #require(plan.step(named: "rom")?.derivation.env["OWNERBOOT_CMDLINE"])
            #expect(cmdline.contains("ownerboot.verity=@input:os/roothash@") && cmdline.contains("ownerboot.kexec=1"))
        }
        // qemu-x86's kernel in flash boots its OS: no hand-over, and its OS derivation has no OS_KERNEL.
        let emulated = try BoardCatalog(directory: RepositoryPaths.boards).load("qemu-x86")
        let home = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: home) }
        let plan = try BuildPlan.make(board: emulated, lock: try LockFile.load(for: emulated), store: try Store(home: home))
        #expect(plan.step(named: "os")?.derivation.env["OS_KERNEL"] == nil)
        #expect(plan.step(named: "rom")?.derivation.env["OWNERBOOT_CMDLINE"]?.contains("ownerboot.kexec") == false)
    }

    @Test func ownerSettingsAreChecked() throws {
        let dir = try RepositoryPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = "[board]\nname = \"b\"\n[chip]\nname = \"W25Q128.V\"\nsize = \"16MiB\"\n[os]\n"
        let folder = dir.appendingPathComponent("b")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        func load(_ os: String) throws -> Board {
            let file = folder.appendingPathComponent("board.toml")
            try Data((base + os).utf8).write(to: file)
            return try BoardLoader().load(file)
        }
        let plain = try load("")
        #expect(plain.os?.packages == OSSpec.defaultPackages && plain.os?.hostname == "b" && plain.os?.variant == "minbase")
        #expect(throws: BoardError.self) { try load("ssh_keys = [\"-----BEGIN OPENSSH PRIVATE KEY-----\"]\n") }
        #expect(throws: BoardError.self) { try load("ssh_keys = [\"ssh-ed25519 AAAA$$$ comment\"]\n") }
        #expect(throws: BoardError.self) { try load("users = [\"Root Admin\"]\n") }
        #expect(throws: BoardError.self) { try load("hostname = \"a b\"\n") }
        #expect(throws: BoardError.self) { try load("overlay = \"missing-folder\"\n") }
        // kexec needs a kernel package in the OS; an unknown kernel mode names the choices.
        #expect(throws: BoardError.self) { try load("kernel = \"kexec\"\n") }
        #expect(throws: BoardError.invalidValue(file: folder.appendingPathComponent("board.toml").path, line: 7, key: "os.kernel", value: "\"kexek\"", expected: "flash, kexec")) { try load("kernel = \"kexek\"\n") }
        #expect(try load("kernel = \"kexec\"\npackages = [\"systemd\", \"linux-image-amd64\"]\n").os?.kernel == .kexec)
        #expect(throws: BoardError.self) { try load("pakages = [\"x\"]\n") }
        #expect(try load("users = [\"owner\"]\nssh_keys = [\"ssh-ed25519 AAAAC3Nza+/= me@host\"]\n").os?.users == ["owner"])
    }
}
