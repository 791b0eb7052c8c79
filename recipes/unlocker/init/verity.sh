# shellcheck shell=sh
# verify_root: the opened root (/dev/mapper/root) under dm-verity with the root hash the
# firmware pins, checked lazily: a block is hashed when it is read, so boot reads only what it
# needs. First the file system's metadata (the first 4 MiB: superblock, group descriptors, the
# first inode tables) through a mapping that returns an I/O error on a bad block, so a changed
# root is refused here with a rescue shell; the OS then runs on a mapping that restarts the
# machine on any bad block read later (never used silently; on the normal set the reboot
# counter falls back). Ends with the root mounted read-only at /mnt/root.
verify_root() {
    echo "ownerboot: checking the root against verity root hash $verity"
    veritysetup open /dev/mapper/root os-check /dev/mapper/root "$verity" --hash-offset="$verity_offset" 2>/tmp/verity.err \
        || { cat /tmp/verity.err; rescue "verity: the root on $device does not match the root hash the firmware pins ($verity); not booting it"; }
    if ! dd if=/dev/mapper/os-check of=/dev/null bs=1M count=4 2>/tmp/verity.err; then
        cat /tmp/verity.err
        veritysetup close os-check 2>/dev/null
        rescue "verity: the root on $device failed verification (a block differs from the one the root hash $verity pins); not booting it"
    fi
    veritysetup close os-check
    # Stage 1 of a hand-over reads only the OS kernel, its modules and /etc/ownerboot/kexec: a bad
    # block there is an I/O error it names (rescue shell), not a restart.
    restart=--restart-on-corruption
    [ -n "$handover" ] && restart=
    veritysetup open /dev/mapper/root os /dev/mapper/root "$verity" --hash-offset="$verity_offset" ${restart:+"$restart"} 2>/tmp/verity.err \
        || { cat /tmp/verity.err; rescue "verity: could not open the root on $device with root hash $verity"; }
    mkdir -p /mnt/root /mnt/state
    mount -t ext4 -o ro /dev/mapper/os /mnt/root || rescue "verity root on $device is not a mountable ext4"
}
