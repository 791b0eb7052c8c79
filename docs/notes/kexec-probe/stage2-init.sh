#!/bin/sh
# Stage 2 (/init of the initramfs stage 1 built in RAM), under the OS's own kernel: load the
# OS's modules with busybox modprobe, open LUKS2 with the volume key (no passphrase, no PBKDF),
# re-open dm-verity with the pinned root hash from the command line, mount, print the marker.
export PATH=/bin:/sbin
/bin/busybox --install -s /bin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec 0</dev/console 1>/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
export DM_DISABLE_UDEV=1
fail() { echo "probe2: FAIL: $1"; poweroff -f; }
# The command line, read once; its words are never taken for file names.
cmdline=$(cat /proc/cmdline)
arg() { set -f; for w in $cmdline; do case "$w" in "$1"=*) echo "${w#*=}"; set +f; return 0;; esac; done; set +f; return 1; }
t() { echo "probe2: [$(cut -d' ' -f1 /proc/uptime)] $*"; }
t "stage 2 up, kernel $(uname -r), cmdline: $(cat /proc/cmdline)"
read -r modules </etc/ob/modules
for m in $modules; do modprobe "$m" || echo "probe2: modprobe $m failed"; done
t "modules loaded: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
uuid=$(arg probe.root_uuid) || fail "no probe.root_uuid"
verity=$(arg probe.verity)
offset=$(arg probe.verity_offset)
dev=
for _ in 1 2 3 4 5 6 7 8 9 10; do
    for c in /dev/vd? /dev/sd? /dev/nvme?n?; do
        [ -b "$c" ] && [ "$(cryptsetup luksUUID "$c" 2>/dev/null)" = "$uuid" ] && { dev=$c; break 2; }
    done
    sleep 0.5
done
[ -n "$dev" ] || fail "no disk with LUKS UUID $uuid"
cryptsetup open --volume-key-file /etc/ob/vk "$dev" root || fail "cryptsetup open --volume-key-file"
rm -f /etc/ob/vk
t "LUKS2 opened with the volume key from stage 1"
mkdir -p /mnt
if [ -n "$verity" ]; then
    veritysetup open /dev/mapper/root os /dev/mapper/root "$verity" --hash-offset="$offset" || fail "veritysetup open"
    mount -t ext4 -o ro /dev/mapper/os /mnt || fail "mount verity root"
else
    mount -t ext4 -o ro /dev/mapper/root /mnt || fail "mount root"
fi
t "root mounted; marker: $(cat /mnt/marker)"
# The TPM after the hand-over: the PCRs stage 1 extended are kept (no TPM reset), and the OS
# kernel's driver still talks to it (the old kernel sent TPM2_Shutdown in its device shutdown).
if [ -e /dev/tpm0 ]; then
    echo "probe2: PCR 8 under the OS kernel: $(cat /sys/class/tpm/tpm0/pcr-sha256/8)"
    ob-pcr-extend 8 0000000000000000000000000000000000000000000000000000000000000000 && echo "probe2: PCR 8 after a stage-2 extend: $(cat /sys/class/tpm/tpm0/pcr-sha256/8)"
fi
grep -E 'MemTotal|MemAvailable' /proc/meminfo | sed 's/^/probe2: /'
echo "probe2: PROBE-OK"
poweroff -f
