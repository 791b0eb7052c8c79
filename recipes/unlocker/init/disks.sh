# shellcheck shell=sh
# Finding the LUKS2 containers by their UUIDs (from the command line): no udev, no blkid,
# only cryptsetup luksUUID on each block device that exists. A LUKS UUID is public (the same in
# every copy of a board's ROM), so a second device that carries it (a USB stick an attacker
# plugged in, a cloned disk) is refused by name rather than guessed between; and the state is
# looked for only on the disk that holds the root.

# find_luks UUID CANDIDATE...: luks_device becomes the one candidate that is a block device
# holding a LUKS container with that UUID (returns 1, luks_device empty, when none does); two
# that do: rescue.
find_luks() {
    luks_uuid=$1 luks_device=
    shift
    for candidate in "$@"; do
        [ -b "$candidate" ] || continue
        [ "$(cryptsetup luksUUID "$candidate" 2>/dev/null)" = "$luks_uuid" ] || continue
        [ -z "$luks_device" ] || rescue "two devices carry LUKS UUID $luks_uuid: $luks_device and $candidate; remove the one that is not this machine's disk"
        luks_device=$candidate
    done
    [ -n "$luks_device" ]
}

# disk_of PARTITION: the disk it is on (/dev/vda1 → /dev/vda, /dev/nvme0n1p2 → /dev/nvme0n1).
disk_of() {
    case "$1" in
        /dev/nvme*p[0-9]*) echo "${1%p[0-9]*}";;
        *) echo "${1%%[0-9]*}";;
    esac
}

# find_root: device becomes the root container (partitions, then whole disks), waiting up to
# 20 times half a second for the disk to appear; none: rescue.
find_root() {
    echo "ownerboot: looking for the encrypted root (LUKS UUID $root_uuid)"
    device=
    tries=0
    while [ -z "$device" ] && [ $tries -lt 20 ]; do
        find_luks "$root_uuid" /dev/vd?[0-9]* /dev/sd?[0-9]* /dev/nvme?n?p[0-9]* /dev/vd? /dev/sd? /dev/nvme?n? && device=$luks_device
        [ -n "$device" ] || { tries=$((tries + 1)); sleep 0.5; }
    done
    [ -n "$device" ] || rescue "no encrypted root: no disk has LUKS UUID $root_uuid (is the disk attached?)"
}

# find_state: for a verity OS, state becomes the writable state's container: a partition of
# the disk that holds the root (looked for once: that disk is there by now); none: rescue.
# Empty for a plain OS.
find_state() {
    state=
    if [ -n "$verity" ] && [ -n "$state_uuid" ]; then
        root_disk=$(disk_of "$device")
        find_luks "$state_uuid" "$root_disk"[0-9]* "$root_disk"p[0-9]* && state=$luks_device
        [ -n "$state" ] || rescue "no state partition: no partition of $root_disk (the root's disk) has LUKS UUID $state_uuid"
    fi
}
