#!/bin/sh
# The probe's stage-1 initramfs: busybox-static, cryptsetup/veritysetup and their library
# closure (from this Debian 12 host: the same packages ownerboot's build environment pins),
# kexec-tools (Debian's build links libxenctrl: its Xen library closure comes along), ob-kexec,
# and the Debian kernel's own modules for dm-crypt/dm-verity/virtio/ext4 (Debian's kernel is
# stage 1 only for the probe; the flash kernels have these built in).
set -eu
P=${P:-/var/tmp/kexec-probe}
KVER=${KVER:-6.1.0-57-amd64}
HERE=$(cd "$(dirname "$0")" && pwd)
K=$P/x/linux-image-$KVER
s=$P/stage1
rm -rf "$s" && mkdir -p "$s/bin" "$s/sbin" "$s/dev" "$s/proc" "$s/sys" "$s/tmp" "$s/etc" "$s/lib64" "$s/lib/x86_64-linux-gnu"
cp "$P/x/busybox-static/bin/busybox" "$s/bin/busybox"
for a in $("$s/bin/busybox" --list); do [ "$a" = busybox ] || ln -s busybox "$s/bin/$a"; done
cp /usr/sbin/cryptsetup /usr/sbin/veritysetup "$s/sbin/"
cp "$P/x/kexec-tools/sbin/kexec" "$s/sbin/kexec"
gcc -Os -o "$s/sbin/ob-kexec" "$HERE/../../../recipes/unlocker/ob-kexec.c" && strip "$s/sbin/ob-kexec"
gcc -Os -o "$s/sbin/ob-pcr-extend" "$HERE/ob-pcr-extend.c" && strip "$s/sbin/ob-pcr-extend"
cp "$HERE/stage1-init.sh" "$s/init"; cp "$HERE/stage2-init.sh" "$s/etc/stage2-init"; chmod 0755 "$s/init"
# Library closure by DT_NEEDED (as recipes/unlocker/unlocker.sh does), Xen libraries from the .debs.
resolve() { for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu "$P/x/xen/usr/lib/x86_64-linux-gnu"; do [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }; done; echo "missing $1" >&2; return 1; }
cp -L "$(resolve libgcc_s.so.1)" "$s/lib/x86_64-linux-gnu/"
todo="$s/sbin/cryptsetup $s/sbin/veritysetup $s/sbin/kexec $s/sbin/ob-kexec"; seen=" libgcc_s.so.1 "
while [ -n "$todo" ]; do
    next=
    for f in $todo; do for lib in $(readelf -d "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case "$seen" in *" $lib "*) continue;; esac
        seen="$seen$lib "; path=$(resolve "$lib"); cp -L "$path" "$s/lib/x86_64-linux-gnu/$lib"; next="$next $path"
    done; done
    todo=$next
done
cp -L /lib64/ld-linux-x86-64.so.2 "$s/lib64/"
# Stage 1's kernel modules (busybox modprobe reads modules.dep).
mods="virtio_pci virtio_blk dm-crypt dm-verity ext4 crc32c_generic xts aesni-intel"
echo "$mods" > "$s/etc/stage1-modules"
mkdir -p "$s/lib/modules/$KVER"
for m in $mods; do grep -E "/$m\.ko(\.xz)?:" "$K/lib/modules/$KVER/modules.dep" | tr -d ':' | tr ' ' '\n'; done | sort -u | while read -r rel; do
    [ -n "$rel" ] || continue
    mkdir -p "$s/lib/modules/$KVER/${rel%/*}"; cp "$K/lib/modules/$KVER/$rel" "$s/lib/modules/$KVER/$rel"
done
cp "$K/lib/modules/$KVER/modules.dep" "$K/lib/modules/$KVER/modules.alias" "$K/lib/modules/$KVER/modules.builtin" "$s/lib/modules/$KVER/"
(cd "$s" && find . | cpio -o -H newc --quiet) | gzip -9 > "$P/stage1.cpio.gz"
echo "stage 1: $(du -sk "$s" | cut -f1) KiB tree, $(wc -c < "$P/stage1.cpio.gz") bytes gzipped"
echo "  kexec-tools + Xen closure: $(du -ck "$s/sbin/kexec" "$s"/lib/x86_64-linux-gnu/libxen* "$s"/lib/x86_64-linux-gnu/libyajl* 2>/dev/null | tail -1 | cut -f1) KiB; ob-kexec: $(wc -c < "$s/sbin/ob-kexec") bytes"
