#!/usr/bin/env bash
# Flash benchmark on the dummy programmer's emulated W25Q128FV (16 MiB): ownerboot's
# write+verify (probe, WP read, full read, backup, changed-block write, full readback and
# SHA-256 compare) beside `flashrom -p dummy:… -w` (which also verifies), for a full 16 MiB
# image and for a 1 MiB update. Prints numbers only; never fails on time.
# Usage: scripts/bench-flash.sh [path/to/ownerboot]   (default: the debug build, built if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
OWNERBOOT=${1:-.build/debug/ownerboot}
if [ ! -x "$OWNERBOOT" ]; then swift build --product ownerboot >/dev/null; fi
work=$(mktemp -d /tmp/ownerboot-bench-flash.XXXXXX)
trap 'rm -rf "$work"' EXIT

size=16777216
head -c $size /dev/urandom >"$work/old.rom"
head -c $size /dev/urandom >"$work/new.rom"
cp "$work/new.rom" "$work/update.rom"
# The 1 MiB update: bytes 4 MiB..5 MiB replaced.
head -c 1048576 /dev/urandom | dd of="$work/update.rom" bs=1048576 seek=4 conv=notrunc status=none

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

ob() {  # ownerboot flash of $2 onto chip file $1
  "$OWNERBOOT" flash --programmer "dummy:emulate=W25Q128FV,image=$1" --image "$2" --backup-dir "$work/backups" --json >"$work/last.json" 2>"$work/last.err" || { echo "ownerboot flash failed:" >&2; cat "$work/last.err" >&2; }
}
fr() {  # flashrom -w of $2 onto chip file $1 (verifies after writing by default)
  flashrom -p "dummy:emulate=W25Q128FV,image=$1" -w "$2" >"$work/last.log" 2>&1 || { echo "flashrom -w failed:" >&2; tail -5 "$work/last.log" >&2; }
}

cp "$work/old.rom" "$work/chip-ob.bin"
cp "$work/old.rom" "$work/chip-fr.bin"
t0=$(now); ob "$work/chip-ob.bin" "$work/new.rom"; t1=$(now)
ob_full=$(elapsed "$t0" "$t1"); ob_full_blocks=$(grep -o '"blocksWritten" : [0-9]*' "$work/last.json" | grep -o '[0-9]*$' || echo "?")
t0=$(now); fr "$work/chip-fr.bin" "$work/new.rom"; t1=$(now)
fr_full=$(elapsed "$t0" "$t1")

t0=$(now); ob "$work/chip-ob.bin" "$work/update.rom"; t1=$(now)
ob_upd=$(elapsed "$t0" "$t1"); ob_upd_blocks=$(grep -o '"blocksWritten" : [0-9]*' "$work/last.json" | grep -o '[0-9]*$' || echo "?")
t0=$(now); fr "$work/chip-fr.bin" "$work/update.rom"; t1=$(now)
fr_upd=$(elapsed "$t0" "$t1")

same() { cmp -s "$1" "$2" && echo yes || echo NO; }
echo "flash benchmark: dummy W25Q128FV, 16 MiB ($(basename "$OWNERBOOT") at $OWNERBOOT)"
printf '%-34s %10s %10s\n' "" "ownerboot" "flashrom"
printf '%-34s %9ss %9ss\n' "16 MiB image, write+verify" "$ob_full" "$fr_full"
printf '%-34s %9ss %9ss\n' "1 MiB update, write+verify" "$ob_upd" "$fr_upd"
echo "erase blocks written by ownerboot: full $ob_full_blocks, update $ob_upd_blocks"
echo "chips hold the image afterwards: ownerboot $(same "$work/chip-ob.bin" "$work/update.rom"), flashrom $(same "$work/chip-fr.bin" "$work/update.rom")"
