# shellcheck shell=sh
# Finding the LUKS2 containers by their UUIDs (from the command line): no udev, no blkid,
# only cryptsetup luksUUID on each block device that exists.

# find_luks UUID CANDIDATE...: luks_device becomes the first candidate that is a block device
# holding a LUKS container with that UUID (returns 1, luks_device empty, when none does).
find_luks() {
    luks_uuid=$1 luks_device=
    shift
    for candidate in "$@"; do
        [ -b "$candidate" ] || continue
        if [ "$(cryptsetup luksUUID "$candidate" 2>/dev/null)" = "$luks_uuid" ]; then luks_device=$candidate; return 0; fi
    done
    return 1
}

# find_root: device becomes the root container (whole disks and partitions), waiting up to
# 20 times half a second for the disk to appear; none: rescue.
find_root() {
    echo "ownerboot: looking for the encrypted root (LUKS UUID $root_uuid)"
    device=
    tries=0
    while [ -z "$device" ] && [ $tries -lt 20 ]; do
        find_luks "$root_uuid" /dev/vd? /dev/vd?[0-9]* /dev/sd? /dev/sd?[0-9]* /dev/nvme?n? /dev/nvme?n?p[0-9]* && device=$luks_device
        [ -n "$device" ] || { tries=$((tries + 1)); sleep 0.5; }
    done
    [ -n "$device" ] || rescue "no encrypted root: no disk has LUKS UUID $root_uuid (is the disk attached?)"
}

# find_state: for a verity OS, state becomes the writable state's container (a partition,
# looked for once: the root's disk is there by now); none: rescue. Empty for a plain OS.
find_state() {
    state=
    if [ -n "$verity" ] && [ -n "$state_uuid" ]; then
        find_luks "$state_uuid" /dev/vd?[0-9]* /dev/sd?[0-9]* /dev/nvme?n?p[0-9]* && state=$luks_device
        [ -n "$state" ] || rescue "no state partition: no partition has LUKS UUID $state_uuid"
    fi
}
