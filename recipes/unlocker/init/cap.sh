# shellcheck shell=sh
# Nothing unsealed survives the unlocker. The Clevis TPM2 tokens are sealed to PCR 2 as
# coreboot leaves it; before anything that is not the unlocker's own code runs (a rescue shell,
# switch_root into the OS, a kexec hand-over) PCR 2 is extended once more with the cap event
# (TCG's separator, /lib/ownerboot/cap-event: `ownerboot pcrs` predicts both values), so no
# token unseals again until the machine resets, not from a shell and not from the OS. And on a
# failure every container is closed and every key removed before the shell starts.

# pcr2: PCR 2, lowercase hex: the SHA-256 bank of a TPM 2.0, the SHA-1 PCR of a TPM 1.2 (the
# X230's; sysfs's pcrs file), empty when neither shows it.
pcr2() {
    if [ -r /sys/class/tpm/tpm0/pcr-sha256/2 ]; then
        sed 'y/ABCDEF/abcdef/' /sys/class/tpm/tpm0/pcr-sha256/2 2>/dev/null
    else
        sed -n '/^PCR-02:/{s/^PCR-02: *//;s/ //g;y/ABCDEF/abcdef/;p;q;}' /sys/class/tpm/tpm0/pcrs /sys/class/tpm/tpm0/device/pcrs 2>/dev/null
    fi
}

# cap_tpm: extends PCR 2 with the cap event, once per boot (stage 2 of a hand-over starts
# capped: stage 1 capped before the kexec). No TPM: nothing is sealed, nothing to cap. A TPM
# that refuses the extend leaves what it sealed reachable: the machine powers off instead.
cap_tpm() {
    [ -n "$capped" ] && return 0
    if [ ! -e /dev/tpm0 ]; then capped=no-tpm; return 0; fi
    before=$(pcr2)
    if ob-unlock -x 2 /lib/ownerboot/cap-event >/dev/null; then
        capped=yes
        after=$(pcr2)
        echo "ownerboot: capped PCR 2 (was ${before:-unreadable}, now ${after:-unreadable}): what is sealed to this boot stays sealed until the next reset"
        return 0
    fi
    echo "ownerboot: the TPM refused to cap PCR 2: powering off, so that nothing sealed to this boot can be unsealed"
    poweroff -f
    while true; do sleep 60; done
}

# close_all: after a failure, before a shell: no mount of the OS, no open container, no volume
# key file, no passphrase, no token copy. A container that will not close powers the machine off.
close_all() {
    # shellcheck disable=SC2034 # unlock.sh's passphrase, wiped here
    passphrase=
    rm -rf /run/ob-volume-keys /etc/ownerboot/volume-keys /run/stage2 /run/stage2.cpio /run/stage2.modules \
        /run/ob-token.json /run/ob-old.json /run/ob-tag.err /run/ob-dump.txt /run/ob-cmdline /tmp/verity.err
    for mount in /mnt/root/run/ownerboot/state /mnt/root/run /mnt/root/etc /mnt/root/var /mnt/state /mnt/root; do
        grep -q " $mount " /proc/mounts 2>/dev/null && umount "$mount" 2>/dev/null
    done
    for name in os-check os; do [ -e "/dev/mapper/$name" ] && veritysetup close "$name" 2>/dev/null; done
    for name in root state; do [ -e "/dev/mapper/$name" ] && cryptsetup close "$name" 2>/dev/null; done
    for name in os-check os root state; do
        if [ -e "/dev/mapper/$name" ]; then
            echo "ownerboot: could not close /dev/mapper/$name: powering off rather than leave it open to a shell"
            poweroff -f
            while true; do sleep 60; done
        fi
    done
    return 0
}
