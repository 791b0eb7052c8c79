#!/usr/bin/env bash
# Tier 2, end to end: a cold hermetic build of the emulated board (rebuilt in an air-gapped
# home by e2e-offline.sh and compared there component by component), then every QEMU scenario
# as a newcomer runs them: boot, retry, no-disk, the ROM flashed into an emulated chip, an
# update from an older generation on a write-protected chip (`ownerboot test` builds that
# previous release itself: the board with one comment line added, not recorded as a
# generation), and the normal/fallback firmware: a normal region erased or its payload
# damaged falls back, files planted in it never run, and a generation promoted to the
# protected half (refused while protected) boots from it.
# The OS is the board's Debian system under dm-verity: it boots to multi-user with sshd, a
# changed root is refused naming verity, state survives a reboot; TPM2 and tang unlock the GPT
# disk's containers unattended.
# Then the real boards (x230, hp-abm): built from the same pinned sources, laid out as
# coreboot's cbfstool reads them, and their flashes rehearsed on emulated chips (the x230's
# bottom chip holding a synthetic owner's backup), their flash kernel + unlocker booted in
# QEMU as their payload: it verifies their Debian OS and kexecs the OS's own kernel, which
# reaches multi-user; a changed root or OS kernel is refused before any hand-over. Opt-in, each one more cold build: OWNERBOOT_E2E_CHECK=1 (qemu-x86
# `--check` in the same home), OWNERBOOT_E2E_REAL_CHECK=1 (x230 and hp-abm `--check`; ~25 more
# minutes on 2 cores, too close to CI's limit to be the default), OWNERBOOT_E2E_FULL_OS=1 (below),
# OWNERBOOT_E2E_ALL_BOARDS=1 (the hp-abm too: its build,
# rehearsal and scenarios; the x230 always runs).
set -euo pipefail
cd "$(dirname "$0")/.."
ob=${OWNERBOOT:-.build/debug/ownerboot}

# Reproducibility: e2e-offline.sh below rebuilds every component of this set cold in a second,
# air-gapped home and compares them bit for bit, so this first build runs once. `--check` (a
# second build in the same home) would cost another cold build: OWNERBOOT_E2E_CHECK=1 adds it.
start=$(date +%s)
if [ "${OWNERBOOT_E2E_CHECK:-0}" = 1 ]; then "$ob" build board=qemu-x86 --check; else "$ob" build board=qemu-x86; fi
echo "e2e: build of qemu-x86 took $(( $(date +%s) - start )) s"
"$ob" generations board=qemu-x86
"$ob" inspect result/qemu-x86/rom/qemu-x86.rom
start=$(date +%s)
# The firmware and unlock scenarios stop once the unlocker hands the verified root to systemd;
# OWNERBOOT_E2E_FULL_OS=1 also waits in each for the Debian OS to come up and powers it off
# (boot, state, tpm-unattended and tang-unattended always do).
if [ "${OWNERBOOT_E2E_FULL_OS:-0}" = 1 ]; then "$ob" test board=qemu-x86 --full-os; else "$ob" test board=qemu-x86; fi
echo "e2e: every qemu-x86 scenario (with the previous release test builds when needed) took $(( $(date +%s) - start )) s"
# Its SBOM and signed provenance, checked by pyspdxtools, sbomcheck and in-toto (~15 s).
bash scripts/check-supply-chain.sh qemu-x86
# An owner's board in a repository outside the project (the qemu-i440fx profile plus one OS
# package), built with the installed binary and recipes; firmware, kernel and unlocker are this
# build's cache hits (~3 min).
start=$(date +%s)
bash scripts/e2e-own-board.sh
echo "e2e: the owner's board outside the project took $(( $(date +%s) - start )) s"
# Every input in the store: fetch, an offline build, a signed bundle exported, refused when
# tampered, imported into an empty home with no network and rebuilt to the identical ROM.
start=$(date +%s)
bash scripts/e2e-offline.sh
echo "e2e: offline inputs and the air-gapped round trip took $(( $(date +%s) - start )) s"

# The x230 always; the hp-abm (one more cold kernel build, ~12 min on 2 cores) with
# OWNERBOOT_E2E_ALL_BOARDS=1, to keep a cold run of the suite under an hour on CI's 2 cores.
real_boards=x230
[ "${OWNERBOOT_E2E_ALL_BOARDS:-0}" = 1 ] && real_boards="hp-abm x230"
for board in $real_boards; do
  start=$(date +%s)
  if [ "${OWNERBOOT_E2E_REAL_CHECK:-0}" = 1 ]; then "$ob" build board="$board" --check; else "$ob" build board="$board"; fi
  echo "e2e: $board built in $(( $(date +%s) - start )) s"
  "$ob" inspect result/"$board"/rom/"$board".rom
  # coreboot's own tool must read the layout and files the same way.
  cbfstool result/"$board"/rom/"$board".rom layout -w
  cbfstool result/"$board"/rom/"$board".rom print
done
# The X230's flash lock (PCH PR0 over all 12 MiB + FLOCKDN) is in its built ROM: the CBFS
# config and the ramstage's lockdown code (~1 s).
bash scripts/check-x230-lock.sh result/x230/rom/x230.rom
"$ob" rehearse board=x230 --chip bottom
"$ob" rehearse board=x230 --chip top
[ "${OWNERBOOT_E2E_ALL_BOARDS:-0}" = 1 ] && "$ob" rehearse board=hp-abm
# Their flash kernel and unlocker in QEMU (q35, disk on SATA), booted as their payload, the
# kexec hand-over to the Debian OS's own kernel, and systemd.
"$ob" test board=x230
if [ "${OWNERBOOT_E2E_ALL_BOARDS:-0}" = 1 ]; then "$ob" test board=hp-abm; fi
