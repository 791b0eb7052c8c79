# shellcheck shell=sh
# The unlocker's stages in the order they run (sourced by /init once /dev, the console, /proc
# and /sys are there). Each stage file only defines functions; the stages share their results
# through a few variables, named here.
#   cmdline.sh   read_cmdline: the kernel command line, read once (root_uuid, keyfile, verity,
#                verity_offset, state_uuid, half, kexec, handover_stage, board, generation, set_hash,
#                cmdline_words)
#   cap.sh       cap_tpm, close_all (capped): PCR 2 capped, containers closed, keys gone (before a shell,
#                switch_root or kexec)
#   rescue.sh    rescue: what failed, then a shell on the console (never a kernel panic)
#   disks.sh     find_root, find_state: the LUKS2 containers by UUID (device, state)
#   unlock.sh    unlock: kept volume keys, key file, Clevis tokens, then the passphrase
#   verity.sh    verify_root: the root under dm-verity with the pinned hash, mounted read-only
#   state.sh     mount_state: the writable state (/var, the /etc overlay)
#   handover.sh  resume_stage2, keep_volume_keys, kexec_os, rearm, switch_to_os
lib=/lib/ownerboot
# shellcheck source=recipes/unlocker/init/cap.sh
. $lib/cap.sh
# shellcheck source=recipes/unlocker/init/rescue.sh
. $lib/rescue.sh
# shellcheck source=recipes/unlocker/init/cmdline.sh
. $lib/cmdline.sh
# shellcheck source=recipes/unlocker/init/disks.sh
. $lib/disks.sh
# shellcheck source=recipes/unlocker/init/unlock.sh
. $lib/unlock.sh
# shellcheck source=recipes/unlocker/init/totp.sh
. $lib/totp.sh
# shellcheck source=recipes/unlocker/init/verity.sh
. $lib/verity.sh
# shellcheck source=recipes/unlocker/init/state.sh
. $lib/state.sh
# shellcheck source=recipes/unlocker/init/handover.sh
. $lib/handover.sh

read_cmdline /proc/cmdline
# Stage 2 of a hand-over runs capped: stage 1 capped PCR 2 before the kexec (cap.sh).
capped=
[ "$handover_stage" = 2 ] && capped=by-stage1
[ -n "${root_uuid+set}" ] || rescue "no ownerboot.root_uuid= on the kernel command line"
# Normal/fallback firmware: which set booted (rom.sh puts ownerboot.half= on each payload).
[ -n "${half+set}" ] && echo "ownerboot: firmware half=$half"
# Stage 2 (under the OS's own kernel): stage 1 left the volume keys and the module list here.
keys=/etc/ownerboot/volume-keys
resume_stage2
# The volume keys go to RAM (vkdir) as the containers open; stage 1 of a kexec hand-over
# (handover) keeps them for stage 2.
keep_volume_keys
# What the firmware says it is (its manifest's values on the command line), for the console.
echo "ownerboot: booting board=$board generation=$generation set=$set_hash"

find_root
find_state
unlock

if [ -n "$verity" ]; then
    verify_root
    # Stage 1 of a kexec board ends here: the OS kernel starts with a stage-2 initramfs.
    [ -n "$handover" ] && kexec_os
    mount_state
    # systemd's /sbin/init is an absolute symlink: it resolves only inside the new root.
    [ -x /mnt/root/sbin/init ] || [ -L /mnt/root/sbin/init ] || rescue "the root file system has no /sbin/init"
    rearm
    echo "ownerboot: verity root $verity verified on $device (metadata read; every later block checked as it is read), state on $state; starting the OS"
    switch_to_os
fi

# Without a pinned verity hash the root is a plain ext4 OS in the LUKS2 container.
mkdir -p /mnt/root
mount -t ext4 -o ro /dev/mapper/root /mnt/root || rescue "unlocked $device but could not mount it as ext4"
[ -x /mnt/root/sbin/init ] || rescue "the root file system has no /sbin/init"
echo "ownerboot: unlocked $device, starting the OS"
rearm
switch_to_os
