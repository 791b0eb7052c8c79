#!/bin/sh
# Fetch the probe's inputs from Debian's mirror with apt (the probe's only network use) and
# unpack them under $P/x. busybox's depmod writes the modules.dep that the kernel .deb's
# postinst would make with kmod on an installed system.
set -eu
P=${P:-/var/tmp/kexec-probe}
KVER=${KVER:-6.1.0-57-amd64}
mkdir -p "$P/debs" "$P/x"
cd "$P/debs"
apt-get download "linux-image-$KVER" kexec-tools busybox-static \
    libxenmisc4.17 libxencall1 libxendevicemodel1 libxenevtchn1 libxenforeignmemory1 \
    libxengnttab1 libxenhypfs1 libxenstore4 libxentoollog1 libxentoolcore1 libyajl2
for deb in *.deb; do
    name=${deb%%_*}
    case "$name" in libxen*|libyajl*) dpkg-deb -x "$deb" "$P/x/xen";; *) mkdir -p "$P/x/$name"; dpkg-deb -x "$deb" "$P/x/$name";; esac
done
cd "$P/x/linux-image-$KVER"
"$P/x/busybox-static/bin/busybox" depmod -b . "$KVER"
