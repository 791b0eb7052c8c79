#!/usr/bin/env bash
# Prints how long `ownerboot plan` and a no-op `ownerboot build` (every output already in the
# store) take for a board. Numbers only: it never fails on time.
# usage: scripts/bench-build.sh [board] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
board=${1:-qemu-x86}; runs=${2:-5}
ob=${OWNERBOOT:-.build/debug/ownerboot}
"$ob" build board="$board" >/dev/null   # make sure everything is in the store
for what in plan build; do
  best=
  for _ in $(seq "$runs"); do
    start=$(date +%s%N); "$ob" "$what" board="$board" >/dev/null; end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
  done
  echo "$what board=$board (all cached): best of $runs runs: ${best} ms"
done
