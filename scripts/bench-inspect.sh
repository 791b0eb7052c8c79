#!/usr/bin/env bash
# Times `ownerboot inspect` on a 16 MiB coreboot image beside `cbfstool print` (and layout).
# Prints numbers only; never fails on time. Usage: scripts/bench-inspect.sh [ROM] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${2:-5}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
rom="${1:-}"
if [[ -z "$rom" ]]; then
    rom="$tmp/bench.rom"
    printf 'FLASH@0xff000000 16M {\n  SI_ALL 2M { SI_DESC 4K SI_ME }\n  RW_MRC_CACHE(PRESERVE) 64K\n  FMAP 0x800\n  COREBOOT(CBFS)\n}\n' > "$tmp/l.fmd"
    fmaptool "$tmp/l.fmd" "$tmp/l.fmap" >/dev/null 2>&1
    cbfstool "$rom" create -M "$tmp/l.fmap" >/dev/null
    head -c 3000000 /dev/urandom > "$tmp/blob"
    for i in $(seq 1 20); do cbfstool "$rom" add -f "$tmp/blob" -n "blob$i" -t raw -c lz4 -r COREBOOT >/dev/null 2>&1 || break; done
    cbfstool "$rom" add -f /bin/true -n hashed -t raw -A sha256 >/dev/null
fi
swift build -c "${CONFIG:-debug}" --product ownerboot >/dev/null 2>&1 || swift build --product ownerboot
bin="$(swift build -c "${CONFIG:-debug}" --show-bin-path)/ownerboot"
time_it() { # label, command...
    local label="$1"; shift
    local best=999999 total=0
    for _ in $(seq 1 "$runs"); do
        local s e ms
        s=$(date +%s%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s%N)
        ms=$(( (e - s) / 1000000 )); total=$((total + ms)); (( ms < best )) && best=$ms
    done
    printf '%-32s best %6d ms   mean %6d ms   (%d runs)\n' "$label" "$best" "$((total / runs))" "$runs"
}
echo "image: $rom ($(stat -c %s "$rom") bytes), ownerboot build: ${CONFIG:-debug}"
time_it "ownerboot inspect" "$bin" inspect "$rom"
time_it "ownerboot inspect --json" "$bin" inspect "$rom" --json
time_it "cbfstool print -k" cbfstool "$rom" print -k
time_it "cbfstool layout -w" cbfstool "$rom" layout -w
time_it "cbfstool print -k + layout -w" bash -c "cbfstool '$rom' print -k; cbfstool '$rom' layout -w"
