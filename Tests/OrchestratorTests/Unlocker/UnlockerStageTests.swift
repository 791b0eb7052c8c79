import Foundation
import Support
import Testing

/// The unlocker's stages (recipes/unlocker/init) run on the host under busybox sh with stub
/// tools, in seconds, before any QEMU boot: each refusal beside the success it guards. The
/// console lines checked here are the ones the QEMU scenarios (boards/*/tests.toml) wait for.
@Suite struct UnlockerStageTests {
    typealias Root = UnlockerRoot

    static let prompt = "ownerboot: enter passphrase for /dev/vda1 (try "
    static let started = "ownerboot: verity root \(Root.rootHash) verified on /dev/vda1 (metadata read; every later block checked as it is read), state on /dev/vda2; starting the OS"
    static let stateBound = "ownerboot: unlocked /dev/vda2 (the state) with the key bound to the root"
    static let rescueShell = "ownerboot: rescue shell (the OS was not started; no container is open; 'poweroff -f' turns the machine off)"

    // MARK: the passphrase

    @Test func theRightPassphraseOpensBothContainersVerifiesTheRootAndStartsTheOS() throws {
        let root = try Root()
        defer { root.remove() }
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: firmware half=fallback",
            "ownerboot: booting board=qemu-x86 generation=7 set=5e7",
            "ownerboot: looking for the encrypted root (LUKS UUID \(Root.rootUUID))",
            "ownerboot: no Clevis token on /dev/vda1",
            Self.prompt + "1 of 3): ",
            Self.stateBound,
            "ownerboot: checking the root against verity root hash \(Root.rootHash)",
            Self.started,
        ]), "\(run.console)")
        #expect(run.lines(Self.prompt).count == 1 && run.lines("ownerboot: wrong passphrase").isEmpty)
        // The passphrase yields the root's volume key, which opens it; the key derived from it
        // opens the state (bound to this root); echo was off while it was typed.
        #expect(run.calls("cryptsetup open") == ["cryptsetup open --volume-key-file /run/ob-volume-keys/root /dev/vda1 root", "cryptsetup open --volume-key-file /run/ob-volume-keys/state /dev/vda2 state"])
        #expect(run.calls("ob-unlock") == ["ob-unlock -s /run/ob-volume-keys/root"])
        // No volume key stays in RAM once both are open (no hand-over here).
        #expect(!root.exists("run/ob-volume-keys"))
        #expect(run.calls("stty") == ["stty -echo", "stty echo"])
        #expect(!run.console.contains(Root.passphrase))
        // Verified first through the checking mapping, then the OS on the restarting one.
        #expect(run.calls("veritysetup") == [
            "veritysetup open /dev/mapper/root os-check /dev/mapper/root \(Root.rootHash) --hash-offset=1048576",
            "veritysetup close os-check",
            "veritysetup open /dev/mapper/root os /dev/mapper/root \(Root.rootHash) --hash-offset=1048576 --restart-on-corruption",
        ])
        #expect(run.calls.contains("mount -t ext4 -o ro /dev/mapper/os /mnt/root"))
        #expect(run.calls.contains("mount --move /mnt/state /mnt/root/run/ownerboot/state"))
        // The state starts as a copy of the image's /var.
        #expect(root.exists("mnt/state/var/lib/demo") && !root.exists("mnt/state/var.new"))
        #expect(run.switchedRoot && !run.rescued && run.status == 0)
    }

    @Test func threeWrongPassphrasesEndInTheRescueShellAndNothingStarts() throws {
        let root = try Root()
        defer { root.remove() }
        let run = try root.boot(typing: ["wrong", "still wrong", String(Root.passphrase.dropLast())])
        #expect(run.printed([
            Self.prompt + "1 of 3): ", "ownerboot: wrong passphrase (try 1 of 3)",
            Self.prompt + "2 of 3): ", "ownerboot: wrong passphrase (try 2 of 3)",
            Self.prompt + "3 of 3): ", "ownerboot: wrong passphrase (try 3 of 3)",
            "ownerboot: could not unlock /dev/vda1 after 3 tries",
            Self.rescueShell,
        ]), "\(run.console)")
        #expect(run.calls("cryptsetup luksDump --dump-volume-key").count == 3 && run.calls("cryptsetup open").isEmpty)
        #expect(run.calls("stty") == ["stty -echo", "stty echo", "stty -echo", "stty echo", "stty -echo", "stty echo"])
        #expect(run.rescued && !run.switchedRoot && run.calls("veritysetup").isEmpty && run.calls("mount -t ext4").isEmpty)
        #expect(!FileManager.default.fileExists(atPath: root.url("dev/mapper/root").path))
    }

    @Test func twoWrongPassphrasesThenTheRightOneStartsTheOS() throws {
        let root = try Root()
        defer { root.remove() }
        let run = try root.boot(typing: ["wrong", "still wrong", Root.passphrase])
        #expect(run.lines("ownerboot: wrong passphrase").count == 2 && run.lines(Self.prompt).count == 3)
        #expect(run.lines.contains(Self.started) && run.switchedRoot && !run.rescued, "\(run.console)")
    }

    static let notThisRootsState = "ownerboot: the state partition /dev/vda2 does not open with the key bound to the root on /dev/vda1: it is not this root's state; not mounting it"

    @Test func aStateWithoutTheKeyBoundToTheRootIsARescue() throws {
        let root = try Root()
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url("stub/luks/vda2/bound-key"))
        try root.write("stub/luks/vda2/passphrase", "another passphrase")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([Self.notThisRootsState, Self.rescueShell]), "\(run.console)")
        #expect(run.rescued && !run.switchedRoot && run.calls("veritysetup").isEmpty && run.calls("mount -t ext4").isEmpty)
        // The rescue closed the root the passphrase had opened.
        #expect(!root.exists("dev/mapper/root") && run.calls.contains("cryptsetup close root"))
    }

    @Test func anAttackersStateWithATokenOfItsOwnIsNeverOpenedByIt() throws {
        // Disk position: the state partition replaced by a container with the state's UUID whose
        // token opens it (a tang server of the attacker's); it holds no key bound to the root.
        let root = try Root()
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url("stub/luks/vda2/bound-key"))
        try root.write("stub/luks/vda2/passphrase", "the attacker's")
        try root.write("stub/luks/vda2/tokens", "  0: clevis\n")
        try root.write("stub/luks/vda2/token-0", "{\"type\":\"clevis\",\"opens\":true}\n")
        try root.write("stub/luks/vda2/token-opens", "")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([Self.notThisRootsState, Self.rescueShell]), "\(run.console)")
        #expect(run.calls("ob-unlock -o /dev/vda2").isEmpty && run.calls("cryptsetup token export --token-id 0 /dev/vda2").isEmpty)
        #expect(!run.switchedRoot && !root.exists("dev/mapper/state"))
    }

    @Test func aStateFromBeforeTheBindingOpensWithTheRootsPassphraseAndIsBoundForTheNextBoot() throws {
        let root = try Root()
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url("stub/luks/vda2/bound-key"))
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: unlocked /dev/vda2 (the state) with the passphrase: it holds no key bound to the root yet",
            "ownerboot: bound /dev/vda2 to the root (a key slot from the root's volume key): the next boot opens it without a passphrase",
            Self.started,
        ]), "\(run.console)")
        #expect(run.calls.contains("cryptsetup luksAddKey --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 --volume-key-file /run/ob-volume-keys/state /dev/vda2 /proc/self/fd/0"))
        #expect(root.read("stub/luks/vda2/bound-key") == "bound-to:volume-key-of-root" && run.switchedRoot)
        // The next boot (the machine's device-mapper starts empty): the root by a token, the
        // state by the key now bound.
        for name in ["root", "state", "os"] { try? FileManager.default.removeItem(at: root.url("dev/mapper/\(name)")) }
        try Self.addToken(to: root)
        try root.write("stub/luks/vda1/token-opens", "")
        let next = try root.boot()
        #expect(next.lines.contains(Self.stateBound) && next.lines("ownerboot: enter passphrase").isEmpty && next.lines(" holds no key").isEmpty, "\(next.console)")
        #expect(next.switchedRoot)
    }

    @Test func anUnattendedRootWithAStateFromBeforeTheBindingAsksForTheStatesPassphraseOnce() throws {
        let root = try Root()
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url("stub/luks/vda2/bound-key"))
        try Self.addToken(to: root)
        try root.write("stub/luks/vda1/token-opens", "")
        let run = try root.boot(typing: ["wrong", Root.passphrase])
        #expect(run.printed([
            "ownerboot: unlocked /dev/vda1 without a passphrase (Clevis token 0)",
            "ownerboot: /dev/vda2 holds no key bound to the root: enter passphrase for it (try 1 of 3): ",
            "ownerboot: /dev/vda2 holds no key bound to the root: enter passphrase for it (try 2 of 3): ",
            "ownerboot: unlocked /dev/vda2 (the state) with the passphrase: it holds no key bound to the root yet",
            Self.started,
        ]), "\(run.console)")
        // The state's own token was never tried; the state is bound now.
        #expect(run.calls("ob-unlock -o /dev/vda2").isEmpty && root.read("stub/luks/vda2/bound-key") == "bound-to:volume-key-of-root")
        #expect(!run.console.contains(Root.passphrase) && run.switchedRoot)
    }

    // MARK: a key file

    @Test func aKeyFileOpensBothContainersWithoutAPrompt() throws {
        let root = try Root(commandLine: Root.verityCommandLine + " ownerboot.keyfile=/etc/disk.key")
        defer { root.remove() }
        try root.write("etc/disk.key", Root.passphrase)
        let run = try root.boot()
        #expect(run.lines(Self.prompt).isEmpty && run.lines("ownerboot: the key file").isEmpty, "\(run.console)")
        #expect(run.calls("cryptsetup open") == ["cryptsetup open --volume-key-file /run/ob-volume-keys/root /dev/vda1 root", "cryptsetup open --volume-key-file /run/ob-volume-keys/state /dev/vda2 state"])
        // Nothing left locked: neither the tokens nor the console were asked.
        #expect(run.calls("cryptsetup luksDump /dev").isEmpty && run.calls("stty").isEmpty)
        #expect(run.lines.contains(Self.started) && run.switchedRoot)
    }

    @Test func aKeyFileThatDoesNotOpenIsNamedAndThePassphraseIsAsked() throws {
        let root = try Root(commandLine: Root.verityCommandLine + " ownerboot.keyfile=/etc/disk.key")
        defer { root.remove() }
        try root.write("etc/disk.key", "not the passphrase")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: the key file did not open /dev/vda1",
            "ownerboot: no Clevis token on /dev/vda1",
            Self.prompt + "1 of 3): ",
            Self.started,
        ]), "\(run.console)")
        #expect(run.switchedRoot)
        // A key file named on the command line but absent: straight to the prompt.
        try FileManager.default.removeItem(at: root.url("etc/disk.key"))
        let absent = try Root(commandLine: Root.verityCommandLine + " ownerboot.keyfile=/etc/disk.key")
        defer { absent.remove() }
        let asked = try absent.boot(typing: [Root.passphrase])
        #expect(asked.lines("ownerboot: the key file").isEmpty && asked.lines(Self.prompt).count == 1 && asked.switchedRoot)
    }

    // MARK: Clevis tokens

    @Test func clevisTokensOpenBothContainersWithoutAPrompt() throws {
        let root = try Root()
        defer { root.remove() }
        for device in ["vda1", "vda2"] {
            try root.write("stub/luks/\(device)/tokens", "  0: clevis\n")
            try root.write("stub/luks/\(device)/token-0", "{\"type\":\"clevis\"}\n")
            try root.write("stub/luks/\(device)/token-opens", "")
        }
        let run = try root.boot()
        #expect(run.printed([
            "ownerboot: unlocked /dev/vda1 without a passphrase (Clevis token 0)",
            Self.stateBound,
            Self.started,
        ]), "\(run.console)")
        // The state's own token is never used: its key is bound to the root.
        #expect(run.lines(Self.prompt).isEmpty && run.calls("ob-unlock") == ["ob-unlock -o /dev/vda1 root", "ob-unlock -R /run/ob-volume-keys/root /run/ob-dump.txt", "ob-unlock -s /run/ob-volume-keys/root"])
        #expect(run.switchedRoot)
    }

    @Test func aTokenThatFailsOnTheRootLeavesBothToOnePassphrase() throws {
        let root = try Root()
        defer { root.remove() }
        try root.write("stub/luks/vda1/tokens", "  0: clevis\n")
        try root.write("stub/luks/vda1/token-0", "{\"type\":\"clevis\"}\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed(["ownerboot: Clevis token 0: tang is not reachable", Self.prompt + "1 of 3): ", Self.started]), "\(run.console)")
        // The state opens with the key bound to the root.
        #expect(run.calls("ob-unlock") == ["ob-unlock -o /dev/vda1 root", "ob-unlock -s /run/ob-volume-keys/root"] && run.lines.contains(Self.stateBound))
        #expect(run.switchedRoot)
    }

    /// vda1 with two ownerboot TPM2 tokens: 0 sealed for generation 6 (key slot 1), which no
    /// longer unseals, and 1 sealed for generation 7 (key slot 2), which does; both tags
    /// authentic (the stub's mac for vda1's volume key; the real one: DerivedKeyTests).
    static func addGenerationTokens(to root: Root) throws {
        try root.write("stub/luks/vda1/keyslots", "  0: luks2\n  1: luks2\n  2: luks2\n")
        try root.write("stub/luks/vda1/tokens", "  0: clevis\n  1: clevis\n")
        try root.write("stub/luks/vda1/token-0", #"{"type":"clevis","keyslots":["1"],"ownerboot":{"generation":6,"path":"fallback","slot":1,"mac":"good-for-volume-key-of-root"}}"# + "\n")
        try root.write("stub/luks/vda1/token-1", #"{"type":"clevis","keyslots":["2"],"ownerboot":{"generation":7,"path":"fallback","slot":2,"mac":"good-for-volume-key-of-root"},"opens":true}"# + "\n")
    }

    @Test func aTokenSealedForTheBootedGenerationRetiresTheOlderOnesWithTheirKeySlots() throws {
        let root = try Root()
        defer { root.remove() }
        try Self.addGenerationTokens(to: root)
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: Clevis token 0: tang is not reachable",
            "ownerboot: unlocked /dev/vda1 without a passphrase (Clevis token 1)",
            "ownerboot: retired Clevis token 0 (sealed for generation 6) and its key slot 1",
            "ownerboot: key slots now: 0 2 ",
            Self.stateBound,
            Self.started,
        ]), "\(run.console)")
        #expect(run.calls.contains("cryptsetup token remove --token-id 0 /dev/vda1") && run.calls.contains("cryptsetup luksKillSlot -q /dev/vda1 1"))
        #expect(!root.exists("stub/luks/vda1/token-0") && root.exists("stub/luks/vda1/token-1") && run.switchedRoot)
    }

    @Test func aForgedTokenNeverKillsAKeySlot() throws {
        // Disk position: a token that claims the passphrase's key slot 0 for an old generation,
        // its tag's mac made up; and one whose tag is authentic but names another slot than
        // its keyslots (the stub's -R checks only the mac; DerivedKeyTests checks the rest).
        let root = try Root()
        defer { root.remove() }
        try Self.addGenerationTokens(to: root)
        try root.write("stub/luks/vda1/tokens", "  0: clevis\n  1: clevis\n  2: clevis\n")
        try root.write("stub/luks/vda1/token-2", #"{"type":"clevis","keyslots":["0"],"ownerboot":{"generation":1,"path":"fallback","slot":0,"mac":"made-up"}}"# + "\n")
        let run = try root.boot()
        #expect(run.printed([
            "ownerboot: unlocked /dev/vda1 without a passphrase (Clevis token 1)",
            "ownerboot: retired Clevis token 0 (sealed for generation 6) and its key slot 1",
            "ownerboot: keeping Clevis token 2: the token's ownerboot tag is not authentic",
            "ownerboot: key slots now: 0 2 ",
        ]), "\(run.console)")
        // Slot 0 (the passphrase's) stays, and so does the forged token: only an authentic one goes.
        #expect(run.calls("cryptsetup luksKillSlot") == ["cryptsetup luksKillSlot -q /dev/vda1 1"] && root.exists("stub/luks/vda1/token-2"))
        #expect(run.switchedRoot)
    }

    @Test func aTokenWhoseOwnTagIsNotAuthenticRetiresNothing() throws {
        let root = try Root()
        defer { root.remove() }
        try Self.addGenerationTokens(to: root)
        try root.write("stub/luks/vda1/token-1", #"{"type":"clevis","keyslots":["2"],"ownerboot":{"generation":7,"path":"fallback","slot":2,"mac":"made-up"},"opens":true}"# + "\n")
        let run = try root.boot()
        #expect(run.lines.contains("ownerboot: unlocked /dev/vda1 without a passphrase (Clevis token 1)"), "\(run.console)")
        #expect(run.calls("cryptsetup luksKillSlot").isEmpty && run.calls("cryptsetup token remove").isEmpty && run.switchedRoot)
    }

    @Test func aTokenSealedForAnOlderGenerationThanTheBootedOneRetiresNothing() throws {
        // Generation 8 booted: the token that opened is itself from an older generation.
        let root = try Root(commandLine: Root.verityCommandLine.replacingOccurrences(of: "ownerboot.generation=7", with: "ownerboot.generation=8"))
        defer { root.remove() }
        try Self.addGenerationTokens(to: root)
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.lines.contains("ownerboot: unlocked /dev/vda1 without a passphrase (Clevis token 1)"), "\(run.console)")
        #expect(run.lines("ownerboot: retired").isEmpty && run.calls("cryptsetup token remove").isEmpty && run.calls("cryptsetup luksKillSlot").isEmpty)
        #expect(root.exists("stub/luks/vda1/token-0") && run.switchedRoot)
    }

    // MARK: the disk

    @Test func withoutTheDiskTheUnlockerWaitsThenExplainsInARescueShell() throws {
        let root = try Root()
        defer { root.remove() }
        for name in ["vda", "vda1", "vda2"] { try FileManager.default.removeItem(at: root.url("dev/\(name)")) }
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: looking for the encrypted root (LUKS UUID \(Root.rootUUID))",
            "ownerboot: no encrypted root: no disk has LUKS UUID \(Root.rootUUID) (is the disk attached?)",
            Self.rescueShell,
        ]), "\(run.console)")
        // Twenty looks half a second apart (about 10 s on a machine) before it gives up.
        #expect(run.calls("sleep") == Array(repeating: "sleep 0.5", count: 20))
        #expect(run.calls("cryptsetup").isEmpty && run.lines(Self.prompt).isEmpty && run.rescued)
    }

    @Test func aDiskWithoutTheRootsUUIDIsNotTheRoot() throws {
        let root = try Root()
        defer { root.remove() }
        try root.write("stub/luks/vda1/uuid", "00000000-0000-4000-8000-000000000000\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.lines.contains("ownerboot: no encrypted root: no disk has LUKS UUID \(Root.rootUUID) (is the disk attached?)"), "\(run.console)")
        #expect(run.calls("cryptsetup luksUUID").count == 20 * 3 && run.rescued)
    }

    @Test func aMissingStatePartitionIsARescue() throws {
        let root = try Root()
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url("stub/luks/vda2/uuid"))
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed(["ownerboot: no state partition: no partition of /dev/vda (the root's disk) has LUKS UUID \(Root.stateUUID)", Self.rescueShell]), "\(run.console)")
        #expect(run.lines(Self.prompt).isEmpty && run.rescued)
    }

    @Test func aSecondDeviceWithTheRootsUUIDIsRefusedByName() throws {
        // Disk position: a USB stick (/dev/sdb1) carrying the root's public LUKS UUID.
        let root = try Root()
        defer { root.remove() }
        try ProcessRunner(timeout: 30).checked("mknod", [root.url("dev/sdb1").path, "b", "8", "17"])
        try root.write("stub/luks/sdb1/uuid", Root.rootUUID + "\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed(["ownerboot: two devices carry LUKS UUID \(Root.rootUUID): /dev/vda1 and /dev/sdb1; remove the one that is not this machine's disk", Self.rescueShell]), "\(run.console)")
        #expect(run.lines(Self.prompt).isEmpty && run.calls("cryptsetup open").isEmpty)
    }

    @Test func aStatePartitionOnAnotherDiskIsNotTheRootsState() throws {
        // The state's UUID only on a stick (/dev/sdb1): not looked at; the root's own disk has none.
        let root = try Root()
        defer { root.remove() }
        try ProcessRunner(timeout: 30).checked("mknod", [root.url("dev/sdb1").path, "b", "8", "17"])
        try FileManager.default.removeItem(at: root.url("stub/luks/vda2/uuid"))
        try root.write("stub/luks/sdb1/uuid", Root.stateUUID + "\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.lines.contains("ownerboot: no state partition: no partition of /dev/vda (the root's disk) has LUKS UUID \(Root.stateUUID)"), "\(run.console)")
        // The root's search looked at the stick once; the state's search did not.
        #expect(run.calls.filter { $0 == "cryptsetup luksUUID /dev/sdb1" }.count == 1)
        #expect(run.rescued && run.calls("cryptsetup open").isEmpty)
    }

    @Test func withoutARootUUIDOnTheCommandLineNothingIsLookedFor() throws {
        let root = try Root(commandLine: Root.verityCommandLine.replacingOccurrences(of: " ownerboot.root_uuid=\(Root.rootUUID)", with: ""))
        defer { root.remove() }
        let run = try root.boot()
        #expect(run.printed(["ownerboot: no ownerboot.root_uuid= on the kernel command line", Self.rescueShell]), "\(run.console)")
        #expect(run.calls("cryptsetup").isEmpty && run.rescued)
    }

    // MARK: verity

    @Test func aRootThatDoesNotMatchThePinnedHashIsRefused() throws {
        let root = try Root()
        defer { root.remove() }
        try root.write("stub/verity-hash", String(repeating: "cd", count: 32) + "\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.lines.contains("ownerboot: verity: the root on /dev/vda1 does not match the root hash the firmware pins (\(Root.rootHash)); not booting it"), "\(run.console)")
        #expect(run.rescued && run.calls("mount -t ext4").isEmpty && !run.switchedRoot)
    }

    @Test func aBlockThatFailsVerificationIsRefusedNamingVerity() throws {
        let root = try Root()
        defer { root.remove() }
        try root.write("stub/verity-bad-block", "")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: checking the root against verity root hash \(Root.rootHash)",
            "ownerboot: verity: the root on /dev/vda1 failed verification (a block differs from the one the root hash \(Root.rootHash) pins); not booting it",
            Self.rescueShell,
        ]), "\(run.console)")
        #expect(run.calls("veritysetup") == [
            "veritysetup open /dev/mapper/root os-check /dev/mapper/root \(Root.rootHash) --hash-offset=1048576",
            "veritysetup close os-check",
        ])
        #expect(run.rescued && !run.switchedRoot)
    }

    @Test func aGoodBootOnTheFallbackHalfReArmsTheNormalSet() throws {
        let root = try Root()
        defer { root.remove() }
        try root.write("sbin/ownerboot-rearm", "#!/bin/sh\necho \"ownerboot-rearm $*\" >>/log/calls\necho 'ownerboot: normal boot re-armed'\n", mode: 0o755)
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed(["ownerboot: normal boot re-armed", Self.started]), "\(run.console)")
        #expect(run.switchedRoot)
        // Without ownerboot.half= (a board without two firmware sets) nothing is re-armed.
        let single = try Root(commandLine: Root.verityCommandLine.replacingOccurrences(of: " ownerboot.half=fallback", with: ""))
        defer { single.remove() }
        try single.write("sbin/ownerboot-rearm", "#!/bin/sh\necho \"ownerboot-rearm $*\" >>/log/calls\n", mode: 0o755)
        let other = try single.boot(typing: [Root.passphrase])
        #expect(other.lines("ownerboot: firmware half").isEmpty && other.calls("ownerboot-rearm").isEmpty && other.switchedRoot)
    }

    // MARK: kexec: stage 1 hands over, stage 2 reopens with the kept volume keys

    /// The verified root's kexec description, kernel and modules.
    static func addOSKernel(to root: Root) throws {
        let modules = "stub/os/lib/modules/\(Root.kernelRelease)"
        try root.write("stub/os/etc/ownerboot/kexec", "kernel=/boot/vmlinuz-\(Root.kernelRelease)\nmodules=ahci sd_mod\ncmdline=quiet systemd.show_status=1\n")
        try root.write("stub/os/boot/vmlinuz-\(Root.kernelRelease)", "the OS kernel\n")
        try root.write("\(modules)/modules.dep", "kernel/drivers/ata/ahci.ko: kernel/drivers/ata/libahci.ko\nkernel/drivers/ata/libahci.ko:\nkernel/drivers/scsi/sd_mod.ko.xz:\nkernel/drivers/nvme/nvme.ko:\n")
        try root.write("\(modules)/modules.alias", "alias pci:* ahci\n")
        for module in ["ata/ahci.ko", "ata/libahci.ko", "scsi/sd_mod.ko.xz", "nvme/nvme.ko"] {
            try root.write("\(modules)/kernel/drivers/\(module)", "module \(module)\n")
        }
    }

    static let kexecCommandLine = Root.verityCommandLine + " ownerboot.kexec=1"

    @Test func stageOneHandsTheVerifiedKernelItsModulesAndTheVolumeKeysToStageTwo() throws {
        let stage1 = try Root(commandLine: Self.kexecCommandLine)
        defer { stage1.remove() }
        try Self.addOSKernel(to: stage1)
        let run = try stage1.boot(typing: [Root.passphrase])
        let kernel = "/boot/vmlinuz-\(Root.kernelRelease)"
        #expect(run.printed([
            Self.prompt + "1 of 3): ",
            "ownerboot: checking the root against verity root hash \(Root.rootHash)",
            "ownerboot: verity root \(Root.rootHash) verified on /dev/vda1; handing over to the OS kernel \(kernel) (sha256 ",
        ]), "\(run.console)")
        // The passphrase yields each volume key (kept for stage 2), which opens the container.
        // (The two plain dumps: the Clevis tokens, then the TOTP tokens before the prompt.)
        #expect(run.calls("cryptsetup") .filter { !$0.hasPrefix("cryptsetup luksUUID") } == [
            "cryptsetup luksDump /dev/vda1",
            "cryptsetup luksDump /dev/vda1",
            "cryptsetup luksDump --dump-volume-key --volume-key-file /run/ob-volume-keys/root --batch-mode --key-file=- /dev/vda1",
            "cryptsetup open --volume-key-file /run/ob-volume-keys/root /dev/vda1 root",
            "cryptsetup luksDump --dump-volume-key --volume-key-file /run/ob-volume-keys/state --batch-mode --key-file=- /dev/vda2",
            "cryptsetup open --volume-key-file /run/ob-volume-keys/state /dev/vda2 state",
            "cryptsetup close root", "cryptsetup close state",
        ])
        // Stage 1 never mounts the state and never restarts on a bad block: it names it.
        #expect(run.calls("veritysetup open").last?.hasSuffix("--hash-offset=1048576") == true)
        #expect(run.calls("mount -t ext4 /dev/mapper/state").isEmpty && !run.switchedRoot)
        #expect(run.calls("ob-kexec").count == 2 && run.calls.last == "ob-kexec -e")
        // No key stays behind in stage 1's RAM disk.
        #expect(!stage1.exists("run/ob-volume-keys") && !stage1.exists("run/stage2") && !stage1.exists("run/stage2.cpio"))
        // The OS kernel's command line: stage 2, the OS's own part, the firmware's without kexec=,
        // then init_on_free (the firmware's kernel parameters after the image's: the last counts).
        let commandLine = try #require(stage1.read("log/stage2.cmdline"))
        #expect(commandLine == "ownerboot.stage=2 quiet systemd.show_status=1 " + Root.verityCommandLine + " init_on_free=1")

        let stage2 = try Root(stage2: stage1.url("log/stage2.cpio"), commandLine: commandLine, world: stage1)
        defer { stage2.remove() }
        // The stage-2 initramfs: the volume keys (0400), the modules with their dependencies.
        #expect(stage2.read("etc/ownerboot/volume-keys/root") == "volume-key-of-root\n")
        let mode = try FileManager.default.attributesOfItem(atPath: stage2.url("etc/ownerboot/volume-keys/state").path)[.posixPermissions] as? Int
        #expect(mode == 0o400)
        #expect(stage2.read("etc/ownerboot/modules") == "ahci sd_mod\n")
        let modules = "lib/modules/\(Root.kernelRelease)/kernel/drivers"
        #expect(stage2.exists("\(modules)/ata/ahci.ko") && stage2.exists("\(modules)/ata/libahci.ko") && stage2.exists("\(modules)/scsi/sd_mod.ko.xz"))
        #expect(!stage2.exists("\(modules)/nvme/nvme.ko") && stage2.exists("lib/ownerboot/main.sh") && stage2.exists("init"))

        // Stage 1 capped the TPM before the kexec (PCRs survive it): stage 2 does not cap again.
        try stage2.write("dev/tpm0", "")
        let resumed = try stage2.boot()
        #expect(resumed.calls("ob-unlock -x").isEmpty, "\(resumed.calls)")
        #expect(resumed.printed([
            "ownerboot: firmware half=fallback",
            "ownerboot: stage 2 under the OS kernel \(Root.kernelRelease): the volume keys came from stage 1",
            "ownerboot: booting board=qemu-x86 generation=7 set=5e7",
            Self.started,
        ]), "\(resumed.console)")
        #expect(resumed.calls("modprobe") == ["modprobe ahci", "modprobe sd_mod"])
        #expect(resumed.calls("cryptsetup open") == [
            "cryptsetup open --volume-key-file /etc/ownerboot/volume-keys/root /dev/vda1 root",
            "cryptsetup open --volume-key-file /etc/ownerboot/volume-keys/state /dev/vda2 state",
        ])
        #expect(resumed.lines(Self.prompt).isEmpty && resumed.calls("cryptsetup luksDump").isEmpty)
        #expect(!stage2.exists("etc/ownerboot/volume-keys") && resumed.switchedRoot)
    }

    @Test func aKeptVolumeKeyThatDoesNotOpenItsContainerFallsBackToThePassphrase() throws {
        let stage1 = try Root(commandLine: Self.kexecCommandLine)
        defer { stage1.remove() }
        try Self.addOSKernel(to: stage1)
        _ = try stage1.boot(typing: [Root.passphrase])
        let commandLine = try #require(stage1.read("log/stage2.cmdline"))
        let stage2 = try Root(stage2: stage1.url("log/stage2.cpio"), commandLine: commandLine, world: stage1)
        defer { stage2.remove() }
        try stage2.write("etc/ownerboot/volume-keys/root", "a key from somewhere else\n")
        let run = try stage2.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: the volume key from stage 1 did not open /dev/vda1",
            "ownerboot: no Clevis token on /dev/vda1",
            Self.prompt + "1 of 3): ",
            Self.started,
        ]), "\(run.console)")
        // The passphrase was needed for the root only; the state opened with its kept key.
        #expect(run.calls("cryptsetup open") == [
            "cryptsetup open --volume-key-file /etc/ownerboot/volume-keys/root /dev/vda1 root",
            "cryptsetup open --volume-key-file /run/ob-volume-keys/root /dev/vda1 root",
            "cryptsetup open --volume-key-file /etc/ownerboot/volume-keys/state /dev/vda2 state",
        ])
        #expect(run.switchedRoot)
    }

    @Test func aModuleTheOSKernelDoesNotHaveStopsTheHandOver() throws {
        let stage1 = try Root(commandLine: Self.kexecCommandLine)
        defer { stage1.remove() }
        try Self.addOSKernel(to: stage1)
        try stage1.write("stub/os/etc/ownerboot/kexec", "kernel=/boot/vmlinuz-\(Root.kernelRelease)\nmodules=ahci virtio_blk\n")
        let run = try stage1.boot(typing: [Root.passphrase])
        #expect(run.lines.contains { $0.hasPrefix("ownerboot: the OS kernel has no module virtio_blk (") }, "\(run.console)")
        #expect(run.rescued && run.calls("ob-kexec").isEmpty)
    }

    // MARK: the command line

    @Test func theOSImageCannotPutOwnerbootWordsOnStageTwosCommandLine() throws {
        let stage1 = try Root(commandLine: Self.kexecCommandLine)
        defer { stage1.remove() }
        try Self.addOSKernel(to: stage1)
        // An image that tries to pin another root for stage 2 (its words used to come first).
        let evil = String(repeating: "cd", count: 32)
        try stage1.write("stub/os/etc/ownerboot/kexec", "kernel=/boot/vmlinuz-\(Root.kernelRelease)\nmodules=ahci sd_mod\ncmdline=quiet ownerboot.verity=\(evil) ownerboot.root_uuid=evil\n")
        let run = try stage1.boot(typing: [Root.passphrase])
        let commandLine = try #require(stage1.read("log/stage2.cmdline"))
        #expect(!commandLine.contains(evil) && !commandLine.contains("root_uuid=evil") && commandLine.hasPrefix("ownerboot.stage=2 quiet console="))
        #expect(run.lines("ownerboot: ignoring ownerboot.verity=\(evil) from the OS image's /etc/ownerboot/kexec").count == 1, "\(run.console)")
        // The success beside it: the hand-over still happens, with the firmware's pins.
        #expect(commandLine.contains("ownerboot.verity=\(Root.rootHash)") && run.calls.last == "ob-kexec -e")
    }

    // MARK: the state's /etc

    @Test func onlyWhatTheOSDeclaresWritableInEtcIsLaidOverIt() throws {
        // OS-root position: before a reboot, something with root in the OS left a unit and a
        // changed sshd_config in the writable /etc, to come back at the next boot.
        let root = try Root()
        defer { root.remove() }
        try root.write("stub/os/etc/ownerboot/writable-etc", "# made on the device\nmachine-id\nssh/ssh_host_*\n")
        try root.write("mnt/state/etc/machine-id", "0123\n")
        try root.write("mnt/state/etc/ssh/ssh_host_ed25519_key", "key\n")
        try root.write("mnt/state/etc/ssh/sshd_config", "PermitRootLogin yes\n")
        try root.write("mnt/state/etc/systemd/system/multi-user.target.wants/evil.service", "[Service]\n")
        try root.write("mnt/state/etc/a name with spaces", "x\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.lines.contains { $0.hasPrefix("ownerboot: set aside 3 entries of the state's /etc that the OS does not declare writable (the first: /etc/") }, "\(run.console)")
        // The declared ones stay; the rest waits in refused-etc, out of the OS's sight.
        #expect(root.exists("mnt/state/etc/machine-id") && root.exists("mnt/state/etc/ssh/ssh_host_ed25519_key"))
        #expect(!root.exists("mnt/state/etc/ssh/sshd_config") && !root.exists("mnt/state/etc/systemd") && !root.exists("mnt/state/etc/a name with spaces"))
        #expect(root.exists("mnt/state/refused-etc/ssh/sshd_config") && root.exists("mnt/state/refused-etc/systemd/system/multi-user.target.wants/evil.service"))
        #expect(run.switchedRoot)
    }

    @Test func anOSWithoutTheDeclarationGetsTheWholeEtcOverlay() throws {
        let root = try Root()
        defer { root.remove() }
        try root.write("mnt/state/etc/ssh/sshd_config", "PermitRootLogin yes\n")
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.lines.contains("ownerboot: the OS declares no writable /etc (/mnt/root/etc/ownerboot/writable-etc): all of the state's /etc is laid over it"), "\(run.console)")
        #expect(root.exists("mnt/state/etc/ssh/sshd_config") && !root.exists("mnt/state/refused-etc") && run.switchedRoot)
    }

    // MARK: the cap: nothing unsealed survives the unlocker

    /// One Clevis token on each container (it opens where token-opens exists).
    static func addToken(to root: Root) throws {
        for device in ["vda1", "vda2"] {
            try root.write("stub/luks/\(device)/tokens", "  0: clevis\n")
            try root.write("stub/luks/\(device)/token-0", "{\"type\":\"clevis\"}\n")
        }
    }

    /// A machine with a TPM whose tokens open both containers: an unattended unlock.
    static func unattended(_ root: Root) throws {
        try root.write("dev/tpm0", "")
        try root.write("stub/luks/vda1/token-opens", "")
        try root.write("stub/luks/vda2/token-opens", "")
        try addToken(to: root)
    }

    @Test func beforeSwitchRootTheTPMIsCapped() throws {
        let root = try Root()
        defer { root.remove() }
        try Self.unattended(root)
        let run = try root.boot()
        #expect(run.switchedRoot, "\(run.console)")
        let cap = try #require(run.calls.firstIndex(of: "ob-unlock -x 2 /lib/ownerboot/cap-event"))
        #expect(cap < run.calls.firstIndex(of: "switch_root /mnt/root /sbin/init")!)
        #expect(run.calls("ob-unlock -x").count == 1 && run.lines("ownerboot: capped PCR 2").count == 1)
    }

    @Test func aLateFailureAfterAnUnattendedUnlockLeavesNoContainerAndACappedTPMToTheShell() throws {
        let root = try Root()
        defer { root.remove() }
        try Self.unattended(root)
        // The root does not match the pinned hash: verity refuses after both containers opened.
        try root.write("stub/verity-hash", String(repeating: "ef", count: 32) + "\n")
        let run = try root.boot()
        #expect(run.rescued && !run.switchedRoot, "\(run.console)")
        let shell = try #require(run.calls.firstIndex(of: "setsid cttyhack sh"))
        for call in ["cryptsetup close root", "cryptsetup close state", "ob-unlock -x 2 /lib/ownerboot/cap-event"] {
            let index = try #require(run.calls.firstIndex(of: call), "\(call) never ran: \(run.calls)")
            #expect(index < shell, "\(call) came after the shell")
        }
        #expect(!root.exists("dev/mapper/root") && !root.exists("dev/mapper/state") && !root.exists("dev/mapper/os"))
        #expect(run.printed(["ownerboot: capped PCR 2", Self.rescueShell]), "\(run.console)")
    }

    @Test func aTPMThatRefusesTheCapPowersOffInsteadOfOpeningAShell() throws {
        let root = try Root(commandLine: "ownerboot.root_uuid=\(Root.rootUUID)-absent")
        defer { root.remove() }
        try root.write("dev/tpm0", "")
        try root.write("stub/tpm-refuses", "")
        let run = try root.boot()
        #expect(!run.rescued && run.calls.last == "poweroff -f", "\(run.calls)")
        #expect(run.lines("ownerboot: the TPM refused to cap PCR 2: powering off").count == 1)
    }

    @Test func withoutATPMTheRescueShellOpensUncapped() throws {
        let root = try Root(commandLine: "ownerboot.root_uuid=\(Root.rootUUID)-absent")
        defer { root.remove() }
        let run = try root.boot()
        #expect(run.rescued && run.calls("ob-unlock -x").isEmpty && run.calls("poweroff").isEmpty, "\(run.calls)")
    }

    @Test func theCommandLineIsReadOnceAndTheFirstOccurrenceCounts() throws {
        // A plain (non-verity) root with duplicated parameters and a word that looks like a glob.
        let line = "quiet ownerboot.board=first ownerboot.board=second ownerboot.root_uuid=\(Root.rootUUID) ownerboot.root_uuid=other /* ownerboot.set="
        let root = try Root(commandLine: line)
        defer { root.remove() }
        try FileManager.default.removeItem(at: root.url("stub/os/sbin/init"))
        try root.write("stub/os/sbin/init", "#!/bin/sh\n", mode: 0o755)
        let run = try root.boot(typing: [Root.passphrase])
        #expect(run.printed([
            "ownerboot: booting board=first generation= set=",
            "ownerboot: looking for the encrypted root (LUKS UUID \(Root.rootUUID))",
            "ownerboot: unlocked /dev/vda1, starting the OS",
        ]), "\(run.console)")
        #expect(run.lines("ownerboot: firmware half").isEmpty && run.calls("veritysetup").isEmpty)
        #expect(run.calls.contains("mount -t ext4 -o ro /dev/mapper/root /mnt/root") && run.switchedRoot)
        // Only the root is a container here: the state is a verity OS's.
        #expect(run.calls("cryptsetup open") == ["cryptsetup open --volume-key-file /run/ob-volume-keys/root /dev/vda1 root"])
    }
}
