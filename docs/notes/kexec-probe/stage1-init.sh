#!/bin/sh
# Stage 1 (/init of the probe's unlocker initramfs; stands for ownerboot's unlocker in flash):
# open LUKS2 (passphrase from probe.pass= on the command line: probe only), open dm-verity with
# the pinned root hash, mount the root read-only, build the stage-2 initramfs in RAM from its
# own tools + the OS's modules + the volume key, and kexec the OS's kernel from the verified root.
export PATH=/bin:/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /run/cryptsetup /tmp
export DM_DISABLE_UDEV=1
# The probe powers off on failure (the real unlocker opens a rescue shell instead).
fail() { echo "probe1: FAIL: $1"; poweroff -f; }
# The command line, read once; its words are never taken for file names.
cmdline=$(cat /proc/cmdline)
arg() { set -f; for w in $cmdline; do case "$w" in "$1"=*) echo "${w#*=}"; set +f; return 0;; esac; done; set +f; return 1; }
t() { echo "probe1: [$(cut -d' ' -f1 /proc/uptime)] $*"; }

t "stage 1 up, kernel $(uname -r)"
# probe.kallsyms=1: print the kexec code's symbols and each one's successor (Debian's
# System.map is a stub), for the size estimate in docs/notes/kexec.md; then stop.
if grep -q probe.kallsyms=1 /proc/cmdline; then
    sort /proc/kallsyms | awk '{ if (p) { print "KSYM " $0; p = 0 } } $3 ~ /kexec|kimage|purgatory|bzImage64|relocate_kernel|crash_|vmcoreinfo|locate_mem_hole|elf_header|crashk|kexec_file/ { print "KSYM " $0; p = 1 }'
    poweroff -f
fi
# Debian's kernel as stage 1 needs its modules; the flash kernels have these built in.
read -r modules </etc/stage1-modules
for m in $modules; do modprobe "$m" || fail "modprobe $m"; done
t "modules loaded"
uuid=$(arg probe.root_uuid) || fail "no probe.root_uuid"
pass=$(arg probe.pass) || fail "no probe.pass"
verity=$(arg probe.verity)
offset=$(arg probe.verity_offset)
mode=$(arg probe.kexec) || mode=tools-s
dev=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    for c in /dev/vd? /dev/sd? /dev/nvme?n?; do
        [ -b "$c" ] && [ "$(cryptsetup luksUUID "$c" 2>/dev/null)" = "$uuid" ] && { dev=$c; break 2; }
    done
    sleep 0.5
done
[ -n "$dev" ] || fail "no disk with LUKS UUID $uuid"
# One PBKDF run: the passphrase yields the volume key, which opens the container and, in RAM,
# goes to stage 2 (never to disk, never on a command line).
printf '%s' "$pass" | cryptsetup luksDump --dump-volume-key --volume-key-file /tmp/vk --batch-mode --key-file=- "$dev" >/dev/null \
    || fail "luksDump --dump-volume-key"
pass=
cryptsetup open --volume-key-file /tmp/vk "$dev" root || fail "cryptsetup open with the volume key"
t "LUKS2 opened ($dev)"
mkdir -p /mnt
if [ -n "$verity" ]; then
    veritysetup open /dev/mapper/root os /dev/mapper/root "$verity" --hash-offset="$offset" || fail "veritysetup open"
    mount -t ext4 -o ro /dev/mapper/os /mnt || fail "mount verity root"
    t "verity root $verity mounted"
else
    mount -t ext4 -o ro /dev/mapper/root /mnt || fail "mount root"
fi

# The stage-2 initramfs, in RAM (this initramfs is a tmpfs/ramfs: nothing reaches a disk).
for kver in /mnt/lib/modules/*; do kver=${kver##*/}; break; done
s=/stage2
mkdir -p $s/bin $s/sbin $s/dev $s/proc $s/sys $s/run/cryptsetup $s/tmp $s/mnt $s/etc/ob
cp -a /bin/busybox $s/bin/
ln -s busybox $s/bin/sh
cp -a /sbin/cryptsetup /sbin/veritysetup /sbin/ob-pcr-extend $s/sbin/
# Stage 1's own libraries (cryptsetup's closure), not its kernel's modules.
cp -a /lib /lib64 $s/
rm -rf $s/lib/modules $s/lib/x86_64-linux-gnu/libxen* $s/lib/x86_64-linux-gnu/libyajl*
mkdir -p "$s/lib/modules/$kver"
# The OS kernel's modules to reach the root, with their dependency closure from the OS's own
# modules.dep (transitive already; busybox modprobe reads modules.dep).
need="virtio_pci virtio_blk ahci sd_mod nvme dm-crypt dm-verity ext4 crc32c_generic xts ecb aesni-intel"
# probe.mods=a,b,c: only these (a board needs only its own disk controller).
mods=$(arg probe.mods) && need=$(echo "$mods" | tr , " ")
for m in $need; do grep -E "/$m\.ko(\.xz)?:" "/mnt/lib/modules/$kver/modules.dep" | tr -d ':' | tr ' ' '\n'; done | sort -u | while read -r rel; do
    [ -n "$rel" ] || continue
    mkdir -p "$s/lib/modules/$kver/${rel%/*}"
    cp "/mnt/lib/modules/$kver/$rel" "$s/lib/modules/$kver/$rel"
done
cp "/mnt/lib/modules/$kver/modules.dep" "/mnt/lib/modules/$kver/modules.alias" "/mnt/lib/modules/$kver/modules.builtin" "$s/lib/modules/$kver/" 2>/dev/null
echo "$need" > $s/etc/ob/modules
cp /etc/stage2-init $s/init
chmod 0755 $s/init
# The key: mode 0400 in the cpio; stage 2 deletes it once the container is open.
cp /tmp/vk $s/etc/ob/vk && chmod 0400 $s/etc/ob/vk
(cd $s && find . | cpio -o -H newc 2>/dev/null) > /stage2.cpio
t "stage-2 cpio built: $(wc -c < /stage2.cpio) bytes uncompressed, $(du -s $s | cut -f1) KiB tree"
# The kernel unpacks a gzip cpio as well; how much smaller it is, and what gzip costs here.
if [ "$(arg probe.gzip)" = 1 ]; then gzip -1 /stage2.cpio && mv /stage2.cpio.gz /stage2.cpio; t "gzipped: $(wc -c < /stage2.cpio) bytes"; fi
t "sizes (KiB): libs $(du -s $s/lib/x86_64-linux-gnu | cut -f1), modules $(du -s $s/lib/modules | cut -f1), busybox+cryptsetup+veritysetup $(du -sc $s/bin/busybox $s/sbin | tail -n1 | cut -f1)"
rm -rf $s /tmp/vk

# The OS kernel's command line: the firmware's ownerboot.*/probe.* values, minus the secret and
# the stage-1-only knobs, plus the OS's own (console here).
cmd="console=ttyS0 panic=-1 probe.stage=2"
set -f
for w in $cmdline; do case "$w" in probe.pass=*|probe.kexec=*|probe.gzip=*|probe.mods=*|console=*|lockdown=*|panic=*) ;; probe.*) cmd="$cmd $w";; esac; done
set +f
kernel=/mnt/boot/vmlinuz
echo "probe1: sha256 of the OS kernel to kexec: $(sha256sum $kernel | cut -d' ' -f1)"
case "$mode" in
    tools-s) kexec -s -l "$kernel" --initrd=/stage2.cpio --append="$cmd" || fail "kexec -s -l (kexec_file_load)";;
    tools-l) kexec -l "$kernel" --initrd=/stage2.cpio --append="$cmd" || fail "kexec -l (kexec_load)";;
    ob) ob-kexec "$kernel" /stage2.cpio "$cmd" || fail "ob-kexec (kexec_file_load)";;
esac
t "loaded with $mode; free memory: $(grep MemAvailable /proc/meminfo)"
# kexec extends no PCR: stage 1 measures what it hands over (here: the OS kernel into PCR 8).
if [ -e /dev/tpm0 ]; then
    echo "probe1: PCR 8 before: $(cat /sys/class/tpm/tpm0/pcr-sha256/8)"
    ob-pcr-extend 8 "$(sha256sum $kernel | cut -d' ' -f1)" || fail "ob-pcr-extend"
    echo "probe1: PCR 8 after extending with the OS kernel's hash: $(cat /sys/class/tpm/tpm0/pcr-sha256/8)"
fi
umount /mnt
[ -n "$verity" ] && veritysetup close os
cryptsetup close root
t "kexec -e now"
case "$mode" in ob) ob-kexec -e;; *) kexec -e;; esac
fail "kexec -e returned"
