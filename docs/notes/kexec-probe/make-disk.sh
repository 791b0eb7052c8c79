#!/bin/sh
# The probe's test disk, laid out like ownerboot's verity OS (debian-os.sh + DiskProvisioner):
# an ext4 image with /boot/vmlinuz (Debian's kernel), /marker and the kernel's modules (only
# the ones the stage-2 needs, with modules.dep, to keep the image small), its dm-verity hash
# tree appended at the end of the image, and the whole encrypted offline to LUKS2 with
# `cryptsetup reencrypt --encrypt` (pbkdf2 with 1000 iterations: the probe is about kexec, not
# the PBKDF). Outputs: $P/$OUT.img, $P/$OUT.roothash, $P/$OUT.verity_offset, $P/$OUT.luks_uuid.
# UNSIGNED=1 strips the kernel's Authenticode signature (osslsigncode remove-signature), to see
# whether kexec_file_load wants a signed kernel.
# TAMPER=1 changes one byte of the kernel after veritysetup format.
set -eu
P=${P:-/var/tmp/kexec-probe}
KVER=${KVER:-6.1.0-57-amd64}
PASS=${PASS:-probe-passphrase}
OUT=${OUT:-disk}
K=$P/x/linux-image-$KVER
root=$P/os-root
rm -rf "$root" && mkdir -p "$root/boot" "$root/lib/modules/$KVER"
if [ "${UNSIGNED:-0}" = 1 ]; then
    osslsigncode remove-signature -in "$K/boot/vmlinuz-$KVER" -out "$root/boot/vmlinuz-$KVER" >/dev/null
else
    cp "$K/boot/vmlinuz-$KVER" "$root/boot/vmlinuz-$KVER"
fi
ln -s "vmlinuz-$KVER" "$root/boot/vmlinuz"
echo "kexec-probe marker: this line was read from the verity root inside LUKS2" > "$root/marker"
# The modules the OS kernel needs to reach the root (see docs/notes/kexec.md): their full closure.
mods="dm-crypt dm-verity virtio_pci virtio_blk ahci sd_mod nvme ext4 crc32c_generic crc32c-intel xts ecb aesni-intel"
for m in $mods; do
    grep -E "/$m\.ko(\.xz)?:" "$K/lib/modules/$KVER/modules.dep" | tr -d ':' | tr ' ' '\n'
done | sort -u | while read -r rel; do
    mkdir -p "$root/lib/modules/$KVER/$(dirname "$rel")"
    cp "$K/lib/modules/$KVER/$rel" "$root/lib/modules/$KVER/$rel"
done
cp "$K/lib/modules/$KVER"/modules.* "$root/lib/modules/$KVER/"
rm -f "$P/os.img"
# Fixed UUID and hash seed like debian-os.sh (E2FSPROGS_FAKE_TIME for a fixed image).
E2FSPROGS_FAKE_TIME=1 mkfs.ext4 -q -F -b 4096 -L os -U 0d1c5e2a-0000-4000-8000-000000000001 -E hash_seed=0d1c5e2a-0000-4000-8000-000000000002 -d "$root" "$P/os.img" 64M
offset=$(stat -c %s "$P/os.img")
veritysetup format --hash-offset="$offset" --salt="$(printf probe | sha256sum | cut -d' ' -f1)" \
    --uuid=0d1c5e2a-0000-4000-8000-000000000003 "$P/os.img" "$P/os.img" > "$P/$OUT.verity.txt"
sed -n 's/^Root hash:[[:space:]]*//p' "$P/$OUT.verity.txt" > "$P/$OUT.roothash"
echo "$offset" > "$P/$OUT.verity_offset"
# TAMPER=1: change one byte of the kernel after the hash tree was made (a tampered root): stage
# 1 must not be able to read, so not kexec, that kernel.
if [ "${TAMPER:-0}" = 1 ]; then
    block=$(debugfs -R "bmap /boot/vmlinuz-$KVER 100" "$P/os.img" 2>/dev/null)
    byte=$(dd if="$P/os.img" bs=1 skip=$((block * 4096 + 7)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    # shellcheck disable=SC2059 # the format is the byte itself, as an octal escape
    printf "$(printf '\\%03o' $(((byte + 1) % 256)))" | dd of="$P/os.img" bs=1 seek=$((block * 4096 + 7)) conv=notrunc 2>/dev/null
    echo "tampered: byte $((block * 4096 + 7)) (file block 100 of the kernel, fs block $block): $byte -> $(((byte + 1) % 256))"
fi
# Offline LUKS2 as DiskProvisioner does it: 32 MiB reserved for the header.
cp "$P/os.img" "$P/$OUT.img"
truncate -s +32M "$P/$OUT.img"
printf '%s' "$PASS" | cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 32M \
    --key-file - --batch-mode --pbkdf pbkdf2 --pbkdf-force-iterations 1000 \
    --uuid 0d1c5e2a-0000-4000-8000-0000000000aa "$P/$OUT.img"
cryptsetup luksUUID "$P/$OUT.img" > "$P/$OUT.luks_uuid"
ls -l "$P/$OUT.img"; echo "root hash $(cat "$P/$OUT.roothash"), hash offset $offset, LUKS UUID $(cat "$P/$OUT.luks_uuid")"
