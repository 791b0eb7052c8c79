#!/bin/sh
# ownerboot unlocker (/init of the initramfs): find the LUKS2 root, ask for its passphrase on
# the console (three tries) or use a key file, open it, mount it and switch_root into the OS.
# With ownerboot.verity= on the command line the root is a dm-verity image: it is opened with
# that pinned root hash and read-only, beside a LUKS2 state partition for /var and /etc changes.
# On any failure it says what failed and opens a rescue shell: it never lets the kernel panic.
# With ownerboot.kexec=1 (boards whose flash kernel is too small for the OS: [os] kernel =
# "kexec") this is stage 1: it opens and verifies the root as above, then starts the verified
# root's own kernel (kexec) with a stage-2 initramfs built here in RAM: this script and its
# tools, the OS kernel's modules for the disk, and the volume keys, so stage 2 opens the same
# containers without asking again and goes on to systemd (docs/kexec.md).
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
# Normal/fallback firmware: which set booted (rom.sh puts ownerboot.half= on each payload).
half=$(arg ownerboot.half) && echo "ownerboot: firmware half=$half"
# Stage 2 (under the OS's own kernel): stage 1 left the volume keys and the module list here.
keys=/etc/ownerboot/volume-keys
if [ -d $keys ]; then
    echo "ownerboot: stage 2 under the OS kernel $(uname -r): the volume keys came from stage 1"
    for module in $(cat /etc/ownerboot/modules); do modprobe "$module" || echo "ownerboot: could not load module $module"; done
fi
# Stage 1 of a kexec hand-over keeps each container's volume key in RAM for stage 2.
vkdir=
[ "$(arg ownerboot.kexec)" = 1 ] && [ ! -d $keys ] && { vkdir=/run/ob-volume-keys; mkdir -p -m 0700 $vkdir; }
# What the firmware says it is (its manifest's values on the command line), for the console.
echo "ownerboot: booting board=$(arg ownerboot.board) generation=$(arg ownerboot.generation) set=$(arg ownerboot.set)"

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

# The LUKS2 containers to open: the root (slot A) and, for a verity OS, the writable state.
state=
if [ -n "$verity" ] && [ -n "$state_uuid" ]; then
    for candidate in /dev/vd?[0-9]* /dev/sd?[0-9]* /dev/nvme?n?p[0-9]*; do
        [ -b "$candidate" ] || continue
        if [ "$(cryptsetup luksUUID "$candidate" 2>/dev/null)" = "$state_uuid" ]; then state=$candidate; break; fi
    done
    [ -n "$state" ] || rescue "no state partition: no partition has LUKS UUID $state_uuid"
fi
# closed: the containers still locked ("DEVICE:NAME" pairs), in order.
closed="$device:root${state:+ $state:state}"
still_closed() {
    left=
    for pair in $closed; do [ -e "/dev/mapper/${pair#*:}" ] || left="$left $pair"; done
    closed=${left# }
}
# open_luks DEVICE NAME: opens it with the key material on standard input. Before a hand-over
# the key yields the volume key first (one PBKDF run, as open's), which then opens the container.
open_luks() {
    if [ -n "$vkdir" ]; then
        cryptsetup luksDump --dump-volume-key --volume-key-file "$vkdir/$2" --batch-mode --key-file=- "$1" >/dev/null \
            && cryptsetup open --volume-key-file "$vkdir/$2" "$1" "$2"
    else
        cryptsetup open --key-file=- "$1" "$2"
    fi
}
if [ -d $keys ]; then
    for pair in $closed; do
        [ -f "$keys/${pair#*:}" ] && cryptsetup open --volume-key-file "$keys/${pair#*:}" "${pair%%:*}" "${pair#*:}" \
            || echo "ownerboot: the volume key from stage 1 did not open ${pair%%:*}"
    done
    rm -rf $keys
    still_closed
fi
if [ -n "$keyfile" ] && [ -f "$keyfile" ]; then
    for pair in $closed; do
        open_luks "${pair%%:*}" "${pair#*:}" <"$keyfile" || echo "ownerboot: the key file did not open ${pair%%:*}"
    done
    still_closed
fi
# Obtain each key without a person first (Clevis tokens: TPM2, tang), the root first: if the
# root needs the passphrase anyway, the same passphrase opens the state (no second wait for a
# tang that is down). One passphrase prompt at most, for whatever is still locked.
for pair in $closed; do
    OB_VOLUME_KEY_FILE=${vkdir:+$vkdir/${pair#*:}} ob-unattended "${pair%%:*}" "${pair#*:}" || break
done
still_closed
attempt=1
while [ -n "$closed" ] && [ $attempt -le 3 ]; do
    first=${closed%% *}
    # Echo goes off before the prompt appears: whoever types at once must not see it echoed.
    stty -echo 2>/dev/null
    printf 'ownerboot: enter passphrase for %s (try %s of 3): ' "${first%%:*}" "$attempt"
    read -r passphrase
    stty echo 2>/dev/null
    echo
    if printf '%s' "$passphrase" | open_luks "${first%%:*}" "${first#*:}" 2>/tmp/cryptsetup.err; then
        # The same passphrase opens the other containers (the disk was provisioned with one).
        for pair in ${closed#"$first"}; do
            printf '%s' "$passphrase" | open_luks "${pair%%:*}" "${pair#*:}" \
                || { passphrase=; rescue "the passphrase opened ${first%%:*} but not ${pair%%:*}"; }
        done
        still_closed
    else
        echo "ownerboot: wrong passphrase (try $attempt of 3)"
        attempt=$((attempt + 1))
    fi
done
passphrase=
[ -z "$closed" ] || rescue "could not unlock ${closed%%:*} after 3 tries"

# Stage 1's end on a kexec board: start the OS kernel named by the verified root's
# /etc/ownerboot/kexec (kernel=, modules=, cmdline=; covered by the root hash the firmware
# pins, as the kernel and modules are: a changed byte fails to read). Its initramfs, built here
# in RAM and never written to a disk: this initramfs's own files, the modules stage 2 needs
# from the verified root (with their dependencies from its modules.dep), the volume keys.
handover() {
    conf=/mnt/root/etc/ownerboot/kexec
    [ -f $conf ] || rescue "the firmware hands over with kexec (ownerboot.kexec=1), but the verity root has no /etc/ownerboot/kexec"
    kernel= modules= extra=
    while IFS='=' read -r key value; do
        case "$key" in kernel) kernel=$value;; modules) modules=$value;; cmdline) extra=$value;; esac
    done <$conf
    [ -f "/mnt/root$kernel" ] || rescue "the verity root has no OS kernel at $kernel (/etc/ownerboot/kexec)"
    # Read through verity first: a kernel that is not the one the root hash pins is never loaded.
    digest=$(sha256sum "/mnt/root$kernel" | cut -d' ' -f1)
    [ -n "$digest" ] || rescue "verity: could not read the OS kernel $kernel (a block differs from the one the root hash $verity pins)"
    moddir=/mnt/root/lib/modules/${kernel##*/vmlinuz-}
    [ -f $moddir/modules.dep ] || rescue "the verity root has no $moddir/modules.dep for the OS kernel $kernel"
    stage=/run/stage2
    mkdir -p $stage/dev $stage/proc $stage/sys $stage/run $stage/tmp $stage/mnt/root $stage/etc/ownerboot/volume-keys
    for item in /bin /sbin /lib /lib64 /init; do [ -e $item ] && cp -a $item $stage/; done
    mknod $stage/dev/console c 5 1
    mknod $stage/dev/null c 1 3
    echo "$modules" >$stage/etc/ownerboot/modules
    # Each module with its dependencies (modules.dep lists them all, transitively).
    : >/run/stage2.modules
    for module in $modules; do
        grep -E "(^|/)$module\.ko(\.xz|\.zst)?:" $moddir/modules.dep >>/run/stage2.modules \
            || rescue "the OS kernel has no module $module ($moddir/modules.dep; /etc/ownerboot/kexec names it)"
    done
    for file in $(tr -d ':' </run/stage2.modules | tr ' ' '\n' | sort -u); do
        mkdir -p "$stage${moddir#/mnt/root}/${file%/*}"
        cp "$moddir/$file" "$stage${moddir#/mnt/root}/$file" || rescue "verity: could not read the OS kernel's module $file from the verified root"
    done
    rm -f /run/stage2.modules
    for file in modules.dep modules.alias modules.builtin; do [ -f $moddir/$file ] && cp $moddir/$file "$stage${moddir#/mnt/root}/"; done
    cp $vkdir/* $stage/etc/ownerboot/volume-keys/
    chmod 0400 $stage/etc/ownerboot/volume-keys/*
    (cd $stage && find . | cpio -o -H newc 2>/dev/null) >/run/stage2.cpio || rescue "could not build the stage-2 initramfs"
    rm -rf $stage $vkdir
    # The OS kernel's command line: the firmware's, without what only stage 1 reads, and the OS's own part.
    cmdline="ownerboot.stage=2 init_on_free=1${extra:+ $extra}"
    for word in $(cat /proc/cmdline); do
        case "$word" in ownerboot.kexec=*|ownerboot.keyfile=*|ownerboot.stage=*) ;; *) cmdline="$cmdline $word";; esac
    done
    # kexec measures nothing: the OS kernel and its command line go into PCR 8 first, so the TPM
    # (and whatever it seals) sees what runs next. A TPM that refuses is named, not fatal.
    if [ -e /dev/tpm0 ]; then
        printf '%s' "$cmdline" >/run/ob-cmdline
        if ob-unlock -x 8 "/mnt/root$kernel" >/dev/null && ob-unlock -x 8 /run/ob-cmdline >/dev/null; then
            echo "ownerboot: measured the OS kernel and its command line into PCR 8"
        else
            echo "ownerboot: PCR 8 was not extended: the TPM will not show this hand-over"
        fi
        rm -f /run/ob-cmdline
    fi
    ob-kexec "/mnt/root$kernel" /run/stage2.cpio "$cmdline" || { rm -f /run/stage2.cpio; rescue "kexec: the flash kernel did not load the OS kernel $kernel"; }
    rm -f /run/stage2.cpio
    echo "ownerboot: verity root $verity verified on $device; handing over to the OS kernel $kernel (sha256 $digest)"
    umount /mnt/root
    veritysetup close os
    for name in root state; do [ -e /dev/mapper/$name ] && cryptsetup close $name; done
    ob-kexec -e
    rescue "kexec: the jump into the OS kernel failed"
}

if [ -n "$verity" ]; then
    # dm-verity with the root hash the firmware pins, checked lazily: a block is hashed when it
    # is read, so boot reads only what it needs. First the file system's metadata (the first
    # 4 MiB: superblock, group descriptors, the first inode tables) through a mapping that
    # returns an I/O error on a bad block, so a changed root is refused here with a rescue
    # shell; the OS then runs on a mapping that restarts the machine on any bad block read
    # later (never used silently; on the normal set the reboot counter falls back).
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
    [ -n "$vkdir" ] && restart=
    veritysetup open /dev/mapper/root os /dev/mapper/root "$verity" --hash-offset="$verity_offset" $restart 2>/tmp/verity.err \
        || { cat /tmp/verity.err; rescue "verity: could not open the root on $device with root hash $verity"; }
    mkdir -p /mnt/root /mnt/state
    mount -t ext4 -o ro /dev/mapper/os /mnt/root || rescue "verity root on $device is not a mountable ext4"
    [ -n "$vkdir" ] && handover
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
    # A good boot: the next one may try the normal set again (ownerboot-rearm, rearm-normal.sh).
    if [ -n "$half" ] && [ -x /sbin/ownerboot-rearm ]; then ownerboot-rearm || true; fi
    echo "ownerboot: verity root $verity verified on $device (metadata read; every later block checked as it is read), state on $state; starting the OS"
    umount /proc /sys
    mount --move /dev /mnt/root/dev 2>/dev/null || umount /dev
    exec switch_root /mnt/root /sbin/init
fi

mkdir -p /mnt/root
mount -t ext4 -o ro /dev/mapper/root /mnt/root || rescue "unlocked $device but could not mount it as ext4"
[ -x /mnt/root/sbin/init ] || rescue "the root file system has no /sbin/init"
echo "ownerboot: unlocked $device, starting the OS"
# A good boot: the next one may try the normal set again (ownerboot-rearm, rearm-normal.sh).
if [ -n "$half" ] && [ -x /sbin/ownerboot-rearm ]; then ownerboot-rearm || true; fi
umount /proc /sys
mount --move /dev /mnt/root/dev 2>/dev/null || umount /dev
exec switch_root /mnt/root /sbin/init
