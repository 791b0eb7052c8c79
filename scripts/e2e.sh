#!/usr/bin/env bash
# Tier 2, end to end: a cold hermetic build of the emulated board, a second (older)
# generation to update from, then every QEMU scenario: boot, retry, no-disk, the ROM flashed
# into an emulated chip, and an update of the older generation on a write-protected chip.
set -euo pipefail
cd "$(dirname "$0")/.."
ob=${OWNERBOOT:-.build/debug/ownerboot}

# The "previous release": the same board with a different OS init, built from a copy.
previous=$(mktemp -d)
trap 'rm -rf "$previous"' EXIT
cp -r boards "$previous/boards"
printf '\n# previous release of the OS image\n' >> "$previous/boards/qemu-x86/os-init.sh"

start=$(date +%s)
OWNERBOOT_BOARDS="$previous/boards" "$ob" build board=qemu-x86
echo "e2e: cold build of the previous release took $(( $(date +%s) - start )) s"
start=$(date +%s)
"$ob" build board=qemu-x86 --check
echo "e2e: build of the current release, every component built twice and compared, took $(( $(date +%s) - start )) s"
"$ob" generations board=qemu-x86
"$ob" inspect result/qemu-x86/rom/qemu-x86.rom
"$ob" test board=qemu-x86
