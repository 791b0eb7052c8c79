# os: a Debian system from the board's pinned OS closure, read-only under dm-verity.
# mmdebstrap installs it offline from /inputs/os-packages (a local repository of the lock's
# .debs) in a multi-id sandbox (board.toml: sandbox = "multi-id"); then everything per-device or
# time-dependent is removed or fixed, the tree becomes an ext4 image (mkfs.ext4 -d, fixed UUID
# and hash seed, fake time) and veritysetup appends its hash tree (salt and UUID from OS_UUID).
# Inputs: /inputs/os-packages, /inputs/os-report.sh, /inputs/os-overlay (optional).
# Env: OS_SUITE, OS_VARIANT, OS_PACKAGES, OS_HOSTNAME, OS_USERS, OS_SSH_KEYS, OS_UUID; OS_KERNEL
# ("kexec": the OS brings its own kernel, which the unlocker in flash starts with kexec), with
# OS_KEXEC_MODULES (what the unlocker's stage 2 loads to reach the root), optional
# OS_KEXEC_CMDLINE and OS_MODULES_EXCLUDE (module folders left out of the image).
# Output: /out/os.img (ext4 + hash tree), /out/roothash, /out/hash_offset, /out/packages.txt.
# Unpacked on the sandbox's tmpfs: mkfs.ext4 -d reads directories in the order the file system
# lists them, and tmpfs lists them the same way on every host.
root=/tmp/root
epoch=$SOURCE_DATE_EPOCH
# A kexec board's OS carries Debian's kernel package (in the board's package list). Its
# initramfs would never run (the unlocker in flash builds stage 2 in RAM), so update-initramfs
# is diverted to a no-op while the packages install (it takes a minute and its output is not
# reproducible) and restored after; module folders the board never needs are not unpacked.
set --
if [ "${OS_KERNEL:-}" = kexec ]; then
    for dir in ${OS_MODULES_EXCLUDE:-}; do
        set -- "$@" --dpkgopt="path-exclude=/lib/modules/*/kernel/$dir" --dpkgopt="path-exclude=/lib/modules/*/kernel/$dir/*"
    done
    # shellcheck disable=SC2016 # mmdebstrap's hook expands "$1" (the new root) itself
    set -- "$@" --essential-hook='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && printf "#!/bin/sh\nexit 0\n" >"$1/usr/sbin/update-initramfs" && chmod 0755 "$1/usr/sbin/update-initramfs"'
fi
# No documentation, man pages or translations: an appliance root, read-only anyway.
mmdebstrap --mode=root --variant="$OS_VARIANT" --include="$OS_PACKAGES" \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount "$@" \
    "$OS_SUITE" "$root" "deb [trusted=yes] file:///inputs/os-packages ./" >/build/mmdebstrap.log 2>&1 || { tail -40 /build/mmdebstrap.log; exit 1; }
if [ "${OS_KERNEL:-}" = kexec ]; then
    rm -f "$root/usr/sbin/update-initramfs"
    chroot "$root" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs
    rm -f "$root"/boot/initrd.img-* "$root"/initrd.img "$root"/initrd.img.old
    kernel=$(cd "$root" && ls boot/vmlinuz-*)
    [ "$(echo "$kernel" | wc -w)" = 1 ] || { echo "os: OS_KERNEL=kexec needs exactly one kernel in /boot (found: ${kernel:-none}): list one linux-image package in [os] packages"; exit 1; }
    # What the unlocker in flash reads from the verified root to hand over (docs/notes/kexec.md).
    # Stage 2 always needs overlay (the writable /etc over the read-only one) besides the
    # board's disk and crypto modules.
    mkdir -p "$root/etc/ownerboot"
    printf 'kernel=/%s\nmodules=%s overlay\ncmdline=%s\n' "$kernel" "${OS_KEXEC_MODULES:-}" "${OS_KEXEC_CMDLINE:-}" >"$root/etc/ownerboot/kexec"
    echo "os: kexec hand-over to /$kernel ($(du -sk "$root/lib/modules" | cut -f1) KiB of modules)"
fi
# shellcheck disable=SC2016 # ${Package} and its kind are dpkg-query's fields, not the shell's
chroot "$root" dpkg-query -W -f='${Package} ${Version} ${Architecture}\n' | LC_ALL=C sort > /out/packages.txt

# Per-device secrets and build leftovers: made on the device (host keys at first boot into the
# writable /etc, machine-id by systemd), never shipped.
rm -f "$root"/etc/ssh/ssh_host_* "$root"/var/lib/dbus/machine-id "$root"/var/cache/ldconfig/aux-cache
: > "$root/etc/machine-id"
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* "$root"/var/tmp/*
rm -f "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
# The file-mirror hook's mount point and the sources.list naming the local repository.
rm -rf "$root/inputs"
echo "deb http://deb.debian.org/debian $OS_SUITE main" > "$root/etc/apt/sources.list"
echo "$OS_HOSTNAME" > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\tlocalhost ip6-localhost ip6-loopback\n' "$OS_HOSTNAME" > "$root/etc/hosts"
# Not the build environment's resolver: an owner's overlay or the device's /etc sets one.
printf '# no resolver configured (ownerboot image); set one in the board overlay\n' > "$root/etc/resolv.conf"
# The root is the verity device the unlocker opened: read-only, and systemd must not try to
# remount it writable.
printf '/dev/mapper/os / ext4 ro,noatime 0 0\ntmpfs /tmp tmpfs nosuid,nodev 0 0\n' > "$root/etc/fstab"
# systemd-firstboot would prompt on the console for locale, time zone and a root password;
# e2scrub checks writable LVM snapshots (there are none; it only delays the boot).
for unit in systemd-firstboot.service e2scrub_reap.service e2scrub_all.timer; do ln -sf /dev/null "$root/etc/systemd/system/$unit"; done
# Units with nothing to do on this machine, each a second or so of the one emulated CPU at boot
# (docs/guides/qemu-x86.md, "Boot time"): the board's kernel has no loadable modules (no
# CONFIG_MODULES), so modprobe@*.service and systemd-modules-load.service load nothing; the
# root is the verity device the unlocker mounted read-only, so systemd-remount-fs.service has
# nothing to remount; systemd-network-generator.service turns ip= kernel arguments into
# networkd files, and the firmware's command line has none (the unlocker's ownerboot.net is
# its own). A board whose kernel gains modules, or whose command line ip=, drops them here.
# A kexec board's OS runs Debian's kernel, with modules: those two units stay.
[ "${OS_KERNEL:-}" = kexec ] && modules= || modules="modprobe@.service systemd-modules-load.service"
for unit in $modules systemd-remount-fs.service systemd-network-generator.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
done
# The board's small kernel caps pid_max at 32768 (CONFIG_BASE_SMALL): systemd's 4194304 would
# fail systemd-sysctl.service, so that one setting is masked.
[ "${OS_KERNEL:-}" = kexec ] || ln -sf /dev/null "$root/etc/sysctl.d/50-pid-max.conf"
# Wired interfaces by DHCP with systemd-networkd (part of systemd; it does not hold up the boot
# when there is no link or no DHCP server).
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nName=en* eth*\n\n[Network]\nDHCP=yes\n' > "$root/etc/systemd/network/20-wired.network"

# What of /etc the device may change: the unlocker lays only these over the verified /etc (one
# shell pattern per line, relative to /etc); anything else found in the state's /etc is set
# aside at boot. A board's os-overlay may replace the file to allow more.
mkdir -p "$root/etc/ownerboot"
cat > "$root/etc/ownerboot/writable-etc" <<'EOF'
# Made on the device at first boot (machine-id by systemd, the SSH host key by
# ownerboot-ssh-hostkeys.service) or by systemd as it runs.
machine-id
adjtime
.updated
ssh/ssh_host_*
# Users and passwords the owner changes on the device.
passwd
passwd-
shadow
shadow-
group
group-
gshadow
gshadow-
subuid
subgid
.pwd.lock
EOF

# Host keys at first boot, into the device's writable /etc (the state partition's overlay).
cat > "$root/etc/systemd/system/ownerboot-ssh-hostkeys.service" <<'EOF'
[Unit]
Description=ownerboot: make this device's SSH host keys (first boot)
# The writable /etc is there before systemd starts (the unlocker mounts the state's overlay):
# no need to wait for basic.target, so the key is made while udev and journald start instead
# of holding sshd (and so multi-user.target) back on a first boot.
DefaultDependencies=no
Before=ssh.service shutdown.target
Conflicts=shutdown.target
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
WantedBy=multi-user.target
EOF
# One Ed25519 host key (RSA key generation takes minutes on a slow first boot).
mkdir -p "$root/etc/ssh/sshd_config.d"
echo "HostKey /etc/ssh/ssh_host_ed25519_key" > "$root/etc/ssh/sshd_config.d/ownerboot-hostkey.conf"
# What booted, on the console once the boot is finished: board, generation, set hash, verity
# root hash, the system state and failed units (scenarios read this line).
install -m 0755 /inputs/os-report.sh "$root/usr/local/sbin/ownerboot-report"
cat > "$root/etc/systemd/system/ownerboot-report.service" <<'EOF'
[Unit]
Description=ownerboot: report the booted generation on the console

[Service]
Type=simple
ExecStart=/usr/local/sbin/ownerboot-report
StandardOutput=tty
TTYPath=/dev/console

[Install]
WantedBy=multi-user.target
EOF
chroot "$root" systemctl enable ownerboot-ssh-hostkeys.service ownerboot-report.service systemd-networkd.service >/dev/null 2>&1
# Nothing here needs to wait for a network: without a link it would fail after two minutes.
chroot "$root" systemctl disable systemd-networkd-wait-online.service >/dev/null 2>&1

# The owner's users: no password (SSH public keys only), a writable home in the state.
uid=1000
for user in $OS_USERS; do
    chroot "$root" groupadd -g $uid "$user"
    chroot "$root" useradd -u $uid -g $uid -m -d "/home/$user" -s /bin/bash "$user"
    mkdir -p "$root/home/$user/.ssh"
    printf '%s\n' "$OS_SSH_KEYS" > "$root/home/$user/.ssh/authorized_keys"
    chmod 0700 "$root/home/$user/.ssh"; chmod 0600 "$root/home/$user/.ssh/authorized_keys"
    chown -R $uid:$uid "$root/home/$user"
    uid=$((uid + 1))
done
# useradd stamps "days since 1970" of today into /etc/shadow: use the epoch's day.
sed -i "s/^\([^:]*:[^:]*:\)[0-9]*:/\1$((epoch / 86400)):/" "$root/etc/shadow"
rm -f "$root"/etc/shadow- "$root"/etc/gshadow- "$root"/etc/passwd- "$root"/etc/group- "$root"/etc/subuid- "$root"/etc/subgid-

if [ -d /inputs/os-overlay ]; then cp -a --no-preserve=ownership /inputs/os-overlay/. "$root/"; fi

# Fixed times everywhere; then the image, its times fixed again inside (mke2fs stamps ctime).
find "$root" -exec touch -h -d "@$epoch" {} +
blocks=$(du -s -B 4096 "$root" | cut -f1)
inodes=$(find "$root" | wc -l)
# Room for the file system's own metadata; the image is read-only, so no more than that.
size=$(( (blocks + blocks / 5 + 4096) * 4096 ))
E2FSPROGS_FAKE_TIME=$epoch mkfs.ext4 -q -F -d "$root" -U "$OS_UUID" -E "hash_seed=$OS_UUID,root_owner=0:0" \
    -T default -b 4096 -I 256 -N $((inodes + 4096)) -O ^has_journal,^metadata_csum_seed /out/os.img $((size / 1024))k
(cd "$root" && find . -mindepth 1 | LC_ALL=C sort | sed 's|^\.||') | { echo /; cat; } | while read -r path; do
    for field in atime mtime ctime crtime; do echo "set_inode_field \"$path\" $field @$epoch"; done
done > /build/times.debugfs
E2FSPROGS_FAKE_TIME=$epoch debugfs -w -f /build/times.debugfs /out/os.img >/dev/null 2>/build/debugfs.err || { cat /build/debugfs.err; exit 1; }
E2FSPROGS_FAKE_TIME=$epoch e2fsck -fn /out/os.img >/build/e2fsck.log 2>&1 || { cat /build/e2fsck.log; exit 1; }

# dm-verity: the hash tree right after the data; salt and UUID fixed by the board's OS_UUID,
# so the root hash is a pure function of the inputs. The ROM pins it.
offset=$(stat -c %s /out/os.img)
salt=$(printf '%s' "ownerboot-verity-$OS_UUID" | sha256sum | cut -d' ' -f1)
veritysetup format --hash-offset="$offset" --salt="$salt" --uuid="$OS_UUID" /out/os.img /out/os.img > /build/verity.txt
sed -n 's/^Root hash:[[:space:]]*//p' /build/verity.txt > /out/roothash
echo "$offset" > /out/hash_offset
cat /build/verity.txt
echo "os: $(wc -l < /out/packages.txt) packages, image $(stat -c %s /out/os.img) bytes (data $offset)"
