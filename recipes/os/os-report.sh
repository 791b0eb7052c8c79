#!/bin/sh
# ownerboot-report (a unit of the Debian OS): once the boot is finished, say on the console what
# booted — board, generation, set hash and firmware half from the firmware's kernel command line, the dm-verity
# root hash the unlocker opened the root with — and how the boot went (systemd's state, failed
# units). Scenarios read this line; an owner sees the same at the serial console.
board=unknown; generation=unknown; set_hash=unknown; verity=none; half=
cmdline=$(cat /proc/cmdline)
# Words, never file names.
set -f
for word in $cmdline; do
    case "$word" in
        ownerboot.board=*) board=${word#*=};;
        ownerboot.generation=*) generation=${word#*=};;
        ownerboot.set=*) set_hash=${word#*=};;
        ownerboot.verity=*) verity=${word#*=};;
        ownerboot.half=*) half=" half=${word#*=}";;
    esac
done
set +f
state=$(systemctl is-system-running --wait 2>/dev/null)
failed=$(systemctl list-units --state=failed --no-legend --plain | awk '{print $1}' | tr '\n' ' ')
root=$(findmnt -n -o OPTIONS / | cut -d, -f1)
echo "ownerboot-os: board=$board generation=$generation set=$set_hash$half verity=$verity"
# The kernel: the ROM's, or on a kexec board the OS's own (Debian's), started by the unlocker.
echo "ownerboot-os: system=$state root=$root failed=[${failed% }] ssh=$(systemctl is-active ssh) kernel=$(uname -r)"
