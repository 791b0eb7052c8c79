#!/usr/bin/env bash
# The main job from a fresh clone: installs the system dependencies, builds ownerboot,
# then builds the emulated board (qemu-x86) and boots it in QEMU.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product ownerboot
ob=.build/release/ownerboot
"$ob" boards
"$ob" build board=qemu-x86
"$ob" test board=qemu-x86
