# unlocker: the initramfs tree. busybox and cryptsetup come from the pinned build environment
# (busybox-static, cryptsetup-bin: cryptsetup and veritysetup), with their shared-library closure read from
# its ELF headers (DT_NEEDED, PT_INTERP). The tree is left in /out/root; ownerboot packs it
# (board.toml's `pack`) with its own deterministic cpio writer, device nodes included.
# Inputs: /inputs/init (the folder: init and its stage files), /inputs/unlocker-unattended.sh, /inputs/ob-unlock/ (its sources and Makefile, built here; Clevis tpm2, tang and sss pins),
# optional /inputs/ob-kexec.c (built here with ob-unlock's Makefile: the kexec hand-over of boards whose OS runs its own kernel). Output: /out/root (packed to /out/initramfs.cpio.gz).
stage=/out/root
mkdir -p $stage
cd $stage
mkdir -p bin sbin dev proc sys run tmp mnt/root etc lib64 lib/x86_64-linux-gnu
cp /bin/busybox bin/busybox
for applet in sh ash mount umount mkdir cat echo sleep switch_root poweroff reboot ls grep sed stty setsid cttyhack printf true false mknod ln rm cp mv dd dmesg ifconfig \
        uname cut tr sort chmod find cpio sha256sum modprobe; do
    ln -s busybox bin/$applet
done
# /init and the stages it runs (recipes/unlocker/init: /init sources /lib/ownerboot/main.sh).
cp /inputs/init/init init
chmod 0755 init
mkdir -p lib/ownerboot
cp /inputs/init/*.sh lib/ownerboot/
chmod 0644 lib/ownerboot/*.sh
# The cap event (init/cap.sh): TCG's separator, four zero bytes, extended into PCR 2 before
# anything but the unlocker runs (`ownerboot pcrs` predicts PCR 2 with it: Boot's UnlockerCap).
printf '\000\000\000\000' >lib/ownerboot/cap-event
chmod 0444 lib/ownerboot/cap-event
# Boards with normal/fallback firmware re-arm the normal set after a good boot.
if [ -f /inputs/rearm-normal.sh ]; then cp /inputs/rearm-normal.sh sbin/ownerboot-rearm; chmod 0755 sbin/ownerboot-rearm; fi
cp /inputs/unlocker-unattended.sh sbin/ob-unattended
chmod 0755 sbin/ob-unattended

# The shared-library closure of cryptsetup: follow DT_NEEDED through the library path.
resolve() {
    for dir in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu; do
        [ -e "$dir/$1" ] && { echo "$dir/$1"; return 0; }
    done
    echo "unlocker: shared library $1 not found in the build environment" >&2
    return 1
}
needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
# veritysetup opens a dm-verity root with the hash the firmware pins (same library closure).
todo="$(command -v cryptsetup) $(command -v veritysetup)"
cp "$(command -v cryptsetup)" sbin/cryptsetup
cp "$(command -v veritysetup)" sbin/veritysetup
# ob-unlock (Clevis tokens without a person: TPM2, tang) over libcrypto, which cryptsetup needs anyway.
# Its Makefile holds the hardening flags (the host tests and the fuzz build use the same file).
make -s -C /inputs/ob-unlock O=/build/ob-unlock ob-unlock
cp /build/ob-unlock/ob-unlock sbin/ob-unlock
strip sbin/ob-unlock
todo="$todo $stage/sbin/ob-unlock"
# ob-totp (init/totp.sh: the TOTP code shown before the passphrase prompt), over ob-unlock's parts.
make -s -C /inputs/ob-unlock O=/build/ob-unlock ob-totp
cp /build/ob-unlock/ob-totp sbin/ob-totp
strip sbin/ob-totp
todo="$todo $stage/sbin/ob-totp"
# ob-kexec (boards whose OS runs its own kernel: kexec_file_load, no kexec-tools in flash).
if [ -f /inputs/ob-kexec.c ]; then
    make -s -C /inputs/ob-unlock O=/build/ob-unlock KEXEC_SRC=/inputs/ob-kexec.c ob-kexec
    cp /build/ob-unlock/ob-kexec sbin/ob-kexec
    strip sbin/ob-kexec
    todo="$todo $stage/sbin/ob-kexec"
fi
# glibc dlopen()s libgcc_s for pthread_exit (cryptsetup's Argon2 threads): it is in no
# DT_NEEDED list, so it joins the closure by name.
cp -L "$(resolve libgcc_s.so.1)" lib/x86_64-linux-gnu/libgcc_s.so.1
seen=" libgcc_s.so.1 "
while [ -n "$todo" ]; do
    next=
    for file in $todo; do
        for lib in $(needed "$file"); do
            case "$seen" in *" $lib "*) continue;; esac
            seen="$seen$lib "
            path=$(resolve "$lib")
            cp -L "$path" "lib/x86_64-linux-gnu/$lib"
            next="$next $path"
        done
    done
    todo=$next
done
interp=$(readelf -l sbin/cryptsetup | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
cp -L "$interp" "lib64/$(basename "$interp")"
