#!/bin/sh
# ownerboot unlocker (/init of the initramfs): find the LUKS2 root, ask for its passphrase on
# the console (three tries) or use a key file, open it, mount it and switch_root into the OS.
# With ownerboot.verity= on the command line the root is a dm-verity image: it is opened with
# that pinned root hash and read-only, beside a LUKS2 state partition for /var and /etc changes.
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
# A firmware that pins a verity-protected OS carries its root hash (and where the hash tree
# starts) and the LUKS UUID of the writable state; without them the root is a plain ext4 OS.
verity=$(arg ownerboot.verity)
verity_offset=$(arg ownerboot.verity_offset)
state_uuid=$(arg ownerboot.state_uuid)

echo "ownerboot: looking for the encrypted root (LUKS UUID $root_uuid)"
device=
tries=0
while [ -z "$device" ] && [ $tries -lt 20 ]; do
    for candidate in /dev/vd? /dev/vd?[0-9]* /dev/sd? /dev/sd?[0-9]* /dev/nvme?n? /dev/nvme?n?p[0-9]*; do
        [ -b "$candidate" ] || continue
        if [ "$(cryptsetup luksUUID "$candidate" 2>/dev/null)" = "$root_uuid" ]; then device=$candidate; break; fi
    done
    [ -n "$device" ] || { tries=$((tries + 1)); sleep 0.5; }
done
[ -n "$device" ] || rescue "no encrypted root: no disk has LUKS UUID $root_uuid (is the disk attached?)"

opened=no
secret=
if [ -n "$keyfile" ] && [ -f "$keyfile" ]; then
    if cryptsetup open --key-file "$keyfile" "$device" root; then opened=yes; secret=keyfile; else echo "ownerboot: the key file did not open $device; asking for the passphrase"; fi
fi
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
        secret=passphrase
    else
        echo "ownerboot: wrong passphrase (try $attempt of 3)"
        attempt=$((attempt + 1))
    fi
done
[ $opened = yes ] || { passphrase=; rescue "could not unlock $device after 3 tries"; }

# The writable state: a second LUKS2 partition opened with the same secret.
if [ -n "$verity" ] && [ -n "$state_uuid" ]; then
    state=
    for candidate in /dev/vd?[0-9]* /dev/sd?[0-9]* /dev/nvme?n?p[0-9]*; do
        [ -b "$candidate" ] || continue
        if [ "$(cryptsetup luksUUID "$candidate" 2>/dev/null)" = "$state_uuid" ]; then state=$candidate; break; fi
    done
    [ -n "$state" ] || { passphrase=; rescue "no state partition: no partition has LUKS UUID $state_uuid"; }
    if [ "$secret" = keyfile ]; then
        cryptsetup open --key-file "$keyfile" "$state" state
    else
        printf '%s' "$passphrase" | cryptsetup open --key-file=- "$state" state
    fi || { passphrase=; rescue "unlocked the root but not the state partition $state"; }
fi
passphrase=

if [ -n "$verity" ]; then
    # dm-verity with the root hash the firmware pins: the whole image is read once through it,
    # so a changed block anywhere refuses the boot here instead of failing later in the OS.
    echo "ownerboot: checking the root against verity root hash $verity"
    veritysetup open /dev/mapper/root os /dev/mapper/root "$verity" --hash-offset="$verity_offset" 2>/tmp/verity.err \
        || { cat /tmp/verity.err; rescue "verity: the root on $device does not match the root hash the firmware pins ($verity); not booting it"; }
    if ! dd if=/dev/mapper/os of=/dev/null bs=1M 2>/tmp/verity.err; then
        cat /tmp/verity.err
        veritysetup close os 2>/dev/null
        rescue "verity: the root on $device failed verification (a block differs from the one the root hash $verity pins); not booting it"
    fi
    mkdir -p /mnt/root /mnt/state
    mount -t ext4 -o ro /dev/mapper/os /mnt/root || rescue "verity root on $device is not a mountable ext4"
    mount -t ext4 /dev/mapper/state /mnt/state || rescue "the state partition $state is not a mountable ext4"
    # First boot: the state starts as a copy of the image's /var; /etc changes live in an
    # overlay on top of the read-only /etc (SSH host keys, machine-id are made there).
    mkdir -p /mnt/state/etc /mnt/state/.etc-work /mnt/state/home
    if [ ! -d /mnt/state/var ]; then cp -a /mnt/root/var /mnt/state/var.new && mv /mnt/state/var.new /mnt/state/var; fi
    mount --bind /mnt/state/var /mnt/root/var || rescue "could not mount the state's /var"
    mount -t overlay overlay -o lowerdir=/mnt/root/etc,upperdir=/mnt/state/etc,workdir=/mnt/state/.etc-work /mnt/root/etc \
        || rescue "could not mount the /etc overlay"
    # The state stays reachable from the OS at /run/ownerboot/state (systemd keeps a /run that
    # is already a mount point).
    mount -t tmpfs -o mode=0755,nosuid,nodev run /mnt/root/run
    mkdir -p /mnt/root/run/ownerboot/state
    mount --move /mnt/state /mnt/root/run/ownerboot/state
    # systemd's /sbin/init is an absolute symlink: it resolves only inside the new root.
    [ -x /mnt/root/sbin/init ] || [ -L /mnt/root/sbin/init ] || rescue "the root file system has no /sbin/init"
    echo "ownerboot: verity root $verity verified on $device, state on $state; starting the OS"
    umount /proc /sys
    mount --move /dev /mnt/root/dev 2>/dev/null || umount /dev
    exec switch_root /mnt/root /sbin/init
fi

mkdir -p /mnt/root
mount -t ext4 -o ro /dev/mapper/root /mnt/root || rescue "unlocked $device but could not mount it as ext4"
[ -x /mnt/root/sbin/init ] || rescue "the root file system has no /sbin/init"
echo "ownerboot: unlocked $device, starting the OS"
umount /proc /sys
mount --move /dev /mnt/root/dev 2>/dev/null || umount /dev
exec switch_root /mnt/root /sbin/init
