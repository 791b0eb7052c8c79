#!/bin/sh
# ownerboot-rearm: select the normal firmware set for the next boot, after a good boot.
# coreboot's bootblock (BOOTBLOCK_NORMAL) reads CMOS byte 48: bit 0 "boot normal", bits 4-7
# the reboot counter (3 tries). Each normal attempt counts and coreboot clears bit 0 before
# it starts the payload (SKIP_MAX_REBOOT_CNT_CLEAR), so a normal set that never gets this far
# falls back on its own. This writes 0x01 (normal, counter 0) through /dev/port (RTC index
# port 0x70, data port 0x71); power-on CMOS (a new board, a cleared battery) means fallback.
# shellcheck disable=SC2059 # the format is the byte itself, as an octal escape: printf is how busybox sh writes a binary byte
port() { printf "\\$(printf %o "$2")" | dd of=/dev/port bs=1 seek="$1" count=1 conv=notrunc 2>/dev/null; }
if port 112 48 && port 113 1; then
    echo "ownerboot: normal boot re-armed"
else
    echo "ownerboot: could not re-arm the normal boot (no /dev/port)"
    exit 1
fi
