#!/bin/sh
# The OS of the emulated board: say what booted (board, generation and set hash from the
# firmware's kernel command line) so a test can see it, then power off.
export PATH=/bin:/sbin
mount -t proc proc /proc
board=unknown; generation=unknown; set_hash=unknown; half=
for word in $(cat /proc/cmdline); do
    case "$word" in
        ownerboot.board=*) board=${word#*=};;
        ownerboot.generation=*) generation=${word#*=};;
        ownerboot.set=*) set_hash=${word#*=};;
        ownerboot.half=*) half=" half=${word#*=}";;
    esac
done
echo "ownerboot-os: board=$board generation=$generation set=$set_hash$half"
poweroff -f
