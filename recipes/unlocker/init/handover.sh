# shellcheck shell=sh
# Handing over to the OS: switch_root into the opened root (switch_to_os), or, on a kexec board,
# stage 1 starting the verified root's own kernel (kexec_os) and stage 2 picking up under it
# (resume_stage2). The volume keys stage 1 keeps for stage 2 are in $keys there.

# resume_stage2: under the OS's own kernel, stage 1 left the volume keys in $keys and the
# modules the disk needs in /etc/ownerboot/modules.
resume_stage2() {
    if [ -d "$keys" ]; then
        echo "ownerboot: stage 2 under the OS kernel $(uname -r): the volume keys came from stage 1"
        modules=$(cat /etc/ownerboot/modules)
        for module in $modules; do modprobe "$module" || echo "ownerboot: could not load module $module"; done
    fi
}

# keep_volume_keys: the containers' volume keys go to vkdir (RAM, 0700) as they open: the state's
# key and the token tags are derived from the root's. Stage 1 of a kexec hand-over (handover=1)
# passes them to stage 2; otherwise unlock removes them once the state is open.
keep_volume_keys() {
    vkdir=/run/ob-volume-keys
    # shellcheck disable=SC2174 # /run is there: -p makes only the last folder, which -m covers
    mkdir -p -m 0700 $vkdir
    # shellcheck disable=SC2034 # main.sh and verity.sh read it
    if [ "$kexec" = 1 ] && [ ! -d "$keys" ]; then handover=1; else handover=''; fi
}

# rearm: a good boot; the next one may try the normal firmware set again (ownerboot-rearm,
# rearm-normal.sh, on boards with normal/fallback firmware).
rearm() {
    if [ -n "$half" ] && [ -x /sbin/ownerboot-rearm ]; then ownerboot-rearm || true; fi
}

# switch_to_os: into the OS mounted at /mnt/root, its /sbin/init (systemd) as PID 1.
switch_to_os() {
    # The OS never unseals what the unlocker unsealed: PCR 2 capped first (cap.sh).
    cap_tpm
    umount /proc /sys
    mount --move /dev /mnt/root/dev 2>/dev/null || umount /dev
    exec switch_root /mnt/root /sbin/init
}

# kexec_os: stage 1's end on a kexec board: start the OS kernel named by the verified root's
# /etc/ownerboot/kexec (kernel=, modules=, cmdline=; covered by the root hash the firmware
# pins, as the kernel and modules are: a changed byte fails to read). Its initramfs, built here
# in RAM and never written to a disk: this initramfs's own files, the modules stage 2 needs
# from the verified root (with their dependencies from its modules.dep), the volume keys.
kexec_os() {
    conf=/mnt/root/etc/ownerboot/kexec
    [ -f $conf ] || rescue "the firmware hands over with kexec (ownerboot.kexec=1), but the verity root has no /etc/ownerboot/kexec"
    kernel='' modules='' extra=''
    while IFS='=' read -r key value; do
        case "$key" in kernel) kernel=$value;; modules) modules=$value;; cmdline) extra=$value;; esac
    done <$conf
    [ -f "/mnt/root$kernel" ] || rescue "the verity root has no OS kernel at $kernel (/etc/ownerboot/kexec)"
    # Read through verity first: a kernel that is not the one the root hash pins is never loaded.
    digest=$(sha256sum "/mnt/root$kernel" | cut -d' ' -f1)
    [ -n "$digest" ] || rescue "verity: could not read the OS kernel $kernel (a block differs from the one the root hash $verity pins)"
    moddir=/mnt/root/lib/modules/${kernel##*/vmlinuz-}
    [ -f "$moddir/modules.dep" ] || rescue "the verity root has no $moddir/modules.dep for the OS kernel $kernel"
    stage=/run/stage2
    mkdir -p $stage/dev $stage/proc $stage/sys $stage/run $stage/tmp $stage/mnt/root $stage/etc/ownerboot/volume-keys
    for item in /bin /sbin /lib /lib64 /init; do [ -e $item ] && cp -a $item $stage/; done
    mknod $stage/dev/console c 5 1
    mknod $stage/dev/null c 1 3
    echo "$modules" >$stage/etc/ownerboot/modules
    # Each module with its dependencies (modules.dep lists them all, transitively).
    : >/run/stage2.modules
    for module in $modules; do
        grep -E "(^|/)$module\.ko(\.xz|\.zst)?:" "$moddir/modules.dep" >>/run/stage2.modules \
            || rescue "the OS kernel has no module $module ($moddir/modules.dep; /etc/ownerboot/kexec names it)"
    done
    for file in $(tr -d ':' </run/stage2.modules | tr ' ' '\n' | sort -u); do
        mkdir -p "$stage${moddir#/mnt/root}/${file%/*}"
        cp "$moddir/$file" "$stage${moddir#/mnt/root}/$file" || rescue "verity: could not read the OS kernel's module $file from the verified root"
    done
    rm -f /run/stage2.modules
    for file in modules.dep modules.alias modules.builtin; do [ -f "$moddir/$file" ] && cp "$moddir/$file" "$stage${moddir#/mnt/root}/"; done
    cp "$vkdir"/* $stage/etc/ownerboot/volume-keys/
    chmod 0400 $stage/etc/ownerboot/volume-keys/*
    (cd $stage && find . | cpio -o -H newc 2>/dev/null) >/run/stage2.cpio || rescue "could not build the stage-2 initramfs"
    rm -rf $stage "$vkdir"
    # The OS kernel's command line: the OS image's own words, then the firmware's (without what
    # only stage 1 reads), then what the hand-over itself needs. The firmware wins: the image may
    # add words but no ownerboot.* one (stage 2 reads the first of each, and they pin the root),
    # and for the kernel's own parameters, where the last one counts, the firmware's come later.
    cmdline="ownerboot.stage=2"
    set -f
    for word in $extra; do
        case "$word" in
            ownerboot.*) echo "ownerboot: ignoring $word from the OS image's /etc/ownerboot/kexec (ownerboot.* words come from the firmware only)";;
            *) cmdline="$cmdline $word";;
        esac
    done
    for word in $cmdline_words; do
        case "$word" in ownerboot.kexec=*|ownerboot.keyfile=*|ownerboot.stage=*) ;; *) cmdline="$cmdline $word";; esac
    done
    set +f
    cmdline="$cmdline init_on_free=1"
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
    # The OS kernel gets the volume keys in its initramfs: nothing sealed may open again.
    cap_tpm
    ob-kexec -e
    rescue "kexec: the jump into the OS kernel failed"
}
