#!/bin/sh
# Boot the probe under QEMU TCG (no KVM), SeaBIOS direct kernel boot: Debian's kernel + the
# stage-1 initramfs, the LUKS2 disk on virtio-blk. Every console line gets the host's time
# since QEMU started, so the kexec hand-over can be timed from outside.
#   MODE=tools-s|tools-l|ob  VERITY=1|0  MEM=1024  DISK=disk|unsigned  EXTRA="lockdown=integrity probe.gzip=1"  TPM=1  run.sh
set -eu
P=${P:-/var/tmp/kexec-probe}
KVER=${KVER:-6.1.0-57-amd64}
MODE=${MODE:-tools-s}
MEM=${MEM:-1024}
DISK=${DISK:-disk}
PASS=${PASS:-probe-passphrase}
KERNEL=${KERNEL:-$P/x/linux-image-$KVER/boot/vmlinuz-$KVER}
v=
[ "${VERITY:-1}" = 1 ] && v="probe.verity=$(cat "$P/$DISK.roothash") probe.verity_offset=$(cat "$P/$DISK.verity_offset")"
cp "$P/$DISK.img" "$P/run-disk.img"
# TPM=1: a swtpm TPM 2.0 on tpm-tis, to see the TPM across the hand-over.
tpm=
if [ "${TPM:-0}" = 1 ]; then
    rm -rf "$P/tpm" && mkdir -p "$P/tpm"
    swtpm socket --tpm2 --tpmstate dir="$P/tpm" --ctrl type=unixio,path="$P/tpm/sock" --flags startup-clear --daemon
    tpm="-chardev socket,id=chrtpm,path=$P/tpm/sock -tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-tis,tpmdev=tpm0"
fi
# shellcheck disable=SC2086 # $tpm is several QEMU arguments (or none): split on purpose
timeout "${TIMEOUT:-240}" qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 1 -m "$MEM" \
    -nographic -no-reboot -serial mon:stdio \
    -kernel "$KERNEL" -initrd "$P/stage1.cpio.gz" \
    -append "console=ttyS0 panic=-1 probe.kexec=$MODE probe.pass=$PASS probe.root_uuid=$(cat "$P/$DISK.luks_uuid") $v ${EXTRA:-}" \
    -drive file="$P/run-disk.img",format=raw,if=virtio $tpm </dev/null \
| perl -MTime::HiRes=time -ne 'BEGIN{$|=1;$t0=time} printf "%7.2f %s", time-$t0, $_'
