#!/bin/sh
# ownerboot unlocker (/init of the initramfs): find the LUKS2 root, ask for its passphrase on
# the console (three tries) or use a key file, open it, mount it and switch_root into the OS.
# On any failure it says what failed and opens a rescue shell: it never lets the kernel panic.
export PATH=/bin:/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /run/cryptsetup
# No udev here: libdevmapper creates /dev/mapper nodes itself.
export DM_DISABLE_UDEV=1

rescue() {
    echo "ownerboot: $1"
    echo "ownerboot: rescue shell (the OS was not started; 'poweroff -f' turns the machine off)"
    while true; do setsid cttyhack sh; done
}

arg() {
    for word in $(cat /proc/cmdline); do
        case "$word" in "$1"=*) echo "${word#*=}"; return 0;; esac
    done
    return 1
}

root_uuid=$(arg ownerboot.root_uuid) || rescue "no ownerboot.root_uuid= on the kernel command line"
keyfile=$(arg ownerboot.keyfile)
# Normal/fallback firmware: which set booted (rom.sh puts ownerboot.half= on each payload).
half=$(arg ownerboot.half) && echo "ownerboot: firmware half=$half"

echo "ownerboot: looking for the encrypted root (LUKS UUID $root_uuid)"
device=
tries=0
while [ -z "$device" ] && [ $tries -lt 20 ]; do
    for candidate in /dev/vd? /dev/sd? /dev/nvme?n?; do
        [ -b "$candidate" ] || continue
        if [ "$(cryptsetup luksUUID "$candidate" 2>/dev/null)" = "$root_uuid" ]; then device=$candidate; break; fi
    done
    [ -n "$device" ] || { tries=$((tries + 1)); sleep 0.5; }
done
[ -n "$device" ] || rescue "no encrypted root: no disk has LUKS UUID $root_uuid (is the disk attached?)"

opened=no
if [ -n "$keyfile" ] && [ -f "$keyfile" ]; then
    if cryptsetup open --key-file "$keyfile" "$device" root; then opened=yes; else echo "ownerboot: the key file did not open $device; asking for the passphrase"; fi
fi
# Obtain the LUKS key without a person first (Clevis tokens: TPM2); the passphrase stays last.
if [ $opened = no ] && ob-unattended "$device" root; then opened=yes; fi
attempt=1
while [ $opened = no ] && [ $attempt -le 3 ]; do
    # Echo goes off before the prompt appears: whoever types at once must not see it echoed.
    stty -echo 2>/dev/null
    printf 'ownerboot: enter passphrase for %s (try %s of 3): ' "$device" "$attempt"
    read -r passphrase
    stty echo 2>/dev/null
    echo
    if printf '%s' "$passphrase" | cryptsetup open --key-file=- "$device" root 2>/tmp/cryptsetup.err; then
        opened=yes
    else
        echo "ownerboot: wrong passphrase (try $attempt of 3)"
        attempt=$((attempt + 1))
    fi
done
passphrase=
[ $opened = yes ] || rescue "could not unlock $device after 3 tries"

mkdir -p /mnt/root
mount -t ext4 -o ro /dev/mapper/root /mnt/root || rescue "unlocked $device but could not mount it as ext4"
[ -x /mnt/root/sbin/init ] || rescue "the root file system has no /sbin/init"
echo "ownerboot: unlocked $device, starting the OS"
# A good boot: the next one may try the normal set again (ownerboot-rearm, rearm-normal.sh).
if [ -n "$half" ] && [ -x /sbin/ownerboot-rearm ]; then ownerboot-rearm || true; fi
umount /proc /sys
mount --move /dev /mnt/root/dev 2>/dev/null || umount /dev
exec switch_root /mnt/root /sbin/init
