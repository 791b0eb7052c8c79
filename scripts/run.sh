#!/usr/bin/env bash
# The main job from a fresh clone: installs the system dependencies, builds ownerboot,
# builds the emulated board qemu-x86 hermetically (coreboot, Linux, the LUKS2 unlocker,
# the OS image, the ROM) and boots it in QEMU: unlock the disk, reach the OS.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --product ownerboot
ob=.build/debug/ownerboot
"$ob" boards
"$ob" build board=qemu-x86
"$ob" inspect result/qemu-x86/rom/qemu-x86.rom
"$ob" test board=qemu-x86 --scenario boot
