#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs the system dependencies, runs tier 1
# (`swift test`: formats, hashing, boards, sandbox, flashing on the dummy chip, QEMU driver;
# then a short fuzzing pass over the Boot parsers) and tier 2 (scripts/e2e.sh: a hermetic
# build of qemu-x86 checked bit-for-bit, then every QEMU scenario). `.ci/run` calls exactly
# this. OWNERBOOT_TIER=1 stops after tier 1.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/check-layers.sh
bash scripts/check-shell.sh
swift build --build-tests
swift test --skip-build
# docs/reference/commands.md must be the binary's --help (regenerate: scripts/gen-command-reference.sh).
bash scripts/gen-command-reference.sh --check
# A short coverage-guided fuzzing pass over every Boot parser and the unlocker's C parsers
# (10 s each, about 4 min with the build; a finding fails the run). Longer runs:
# scripts/fuzz.sh SECONDS [HARNESS...].
bash scripts/fuzz.sh "${OWNERBOOT_FUZZ_SECONDS:-10}"
if [ "${OWNERBOOT_TIER:-2}" -ge 2 ]; then
  bash scripts/e2e.sh
fi
