#!/usr/bin/env bash
# Coverage-guided fuzzing of every Boot parser that reads untrusted bytes (Fuzz/README.md).
# Builds the harnesses with libFuzzer and AddressSanitizer (the Swift toolchain ships both),
# then runs each for SECONDS with a 1 s per-input timeout and a bounded RSS. Findings (crash,
# trap, timeout, out of memory) are written to .build-fuzz/findings/<harness>/ and make the
# script fail. The committed seeds (Fuzz/Corpus/<harness>) are read, never written; what the
# fuzzer learns accumulates in .build-fuzz/corpus/<harness> between runs.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]     (default 60 s, every harness)
#   FUZZ_RSS_MB=2048        libFuzzer's -rss_limit_mb (and the largest single allocation)
#   FUZZ_OPT=-O             how Boot and the harnesses are optimised (-Onone builds faster)
#   FUZZ_FLAGS="..."        more libFuzzer flags, e.g. "-max_len=1048576" or "-jobs=2"
# Reproduce a finding: .build-fuzz/fuzz-<harness> FILE   (with SWIFT_BACKTRACE=enable=no)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
all=(fmap fmd cbfs-walk cbfs-edit self bzimage elf cpio ifd manifest decompress inspect)
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=("${all[@]}")
rss="${FUZZ_RSS_MB:-2048}"
opt="${FUZZ_OPT:--O}"
out=.build-fuzz
mkdir -p "$out/findings"

# --- build -----------------------------------------------------------------------------------
# Only Boot carries the instrumentation. Its dependencies (Support, swift-crypto, swift-log) are
# linked as the main package's debug build made them, from an archive of their objects, so
# nothing but Boot and the harnesses is compiled here.
build_start=$(date +%s)
stale() { # TARGET SOURCE...: true when TARGET is missing or older than a source
    local target=$1; shift
    [[ ! -e "$target" ]] || [[ -n "$(find "$@" -newer "$target" -print -quit 2>/dev/null)" ]]
}
swift build --target Support >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; echo "fuzz.sh: swift build --target Support failed" >&2; exit 1; }
deps="$(swift build --show-bin-path)"
cmodules=()
for c in Sources/C/*/; do cmodules+=(-I "$c"); done
swiftc_flags=(-swift-version 6 -parse-as-library "$opt" -g -sanitize=fuzzer,address -I "$out" -I "$deps/Modules" "${cmodules[@]}")
if stale "$out/Boot.o" Sources/Boot "$deps/Modules/Support.swiftmodule" scripts/fuzz.sh; then
    swiftc -module-name Boot -wmo -c -emit-module -emit-module-path "$out/Boot.swiftmodule" \
        "${swiftc_flags[@]}" Sources/Boot/*.swift -o "$out/Boot.o"
fi
# Boot's dependencies, transitively, from the build plan SwiftPM wrote (targetDependencyMap).
boot_deps=$(awk '/"targetDependencyMap"/ { map = 1; next }
    map && /^    "Boot" : \[/ { list = 1; next }
    list && /\]/ { exit }
    list { gsub(/[ ",]/, ""); print }' "$deps/description.json" 2>/dev/null || true)
[[ -n "$boot_deps" ]] || boot_deps="Support Logging Crypto CryptoBoringWrapper CCryptoBoringSSLShims CCryptoBoringSSL"
if stale "$out/libdeps.a" scripts/fuzz.sh "$deps/description.json" $(for d in $boot_deps; do [[ -d "$deps/$d.build" ]] && echo "$deps/$d.build"; done); then
    rm -f "$out/libdeps.a"
    for d in $boot_deps; do [[ -d "$deps/$d.build" ]] && find "$deps/$d.build" -name '*.o'; done >"$out/objects.txt"
    xargs ar qc "$out/libdeps.a" <"$out/objects.txt"
    ranlib "$out/libdeps.a"
fi
if stale "$out/boot-fuzz" Fuzz/Harnesses "$out/Boot.o" "$out/libdeps.a"; then
    rm -f "$out/boot-fuzz"
    swiftc -module-name BootFuzz "${swiftc_flags[@]}" Fuzz/Harnesses/*.swift "$out/Boot.o" "$out/libdeps.a" \
        -o "$out/boot-fuzz" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
    [[ -x "$out/boot-fuzz" ]] || { echo "fuzz.sh: linking the harnesses failed" >&2; exit 1; }
fi
for h in "${all[@]}"; do ln -sf boot-fuzz "$out/fuzz-$h"; done
echo "fuzz.sh: built in $(( $(date +%s) - build_start )) s"

# Swift's own crash reporter would fight AddressSanitizer over a crashing process; libFuzzer
# reports the trap itself. Leaks are not looked for (memory is bounded by -rss_limit_mb):
# LeakSanitizer's scan after every input that allocates on another thread (the inspector
# hashes on one) costs a hundred times the input itself.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=0:handle_abort=1}"
failed=()
for h in "${harnesses[@]}"; do
    [[ -e "$out/fuzz-$h" ]] || { echo "fuzz.sh: no harness '$h' (known: ${all[*]})" >&2; exit 2; }
    work=".build-fuzz/corpus/$h" findings=".build-fuzz/findings/$h"
    mkdir -p "$work" "$findings"
    log=".build-fuzz/findings/$h.log"
    start=$(date +%s)
    # shellcheck disable=SC2086
    if "$out/fuzz-$h" -max_total_time="$seconds" -timeout=1 -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -detect_leaks=0 \
        -artifact_prefix="$findings/" -print_final_stats=1 ${FUZZ_FLAGS:-} "$work" "Fuzz/Corpus/$h" >"$log" 2>&1; then
        status=ok
    else
        status=FINDING
        failed+=("$h")
    fi
    stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 | grep -oE 'cov: [0-9]+|ft: [0-9]+|corp: [0-9]+/[0-9]+[a-zA-Z]*|exec/s: [0-9]+' | tr '\n' ' ' || true)
    runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    printf 'fuzz %-11s %-7s %4d s  %10s runs  %s\n' "$h" "$status" "$(( $(date +%s) - start ))" "$runs" "$stats"
    if [[ $status != ok ]]; then
        grep -E 'ERROR|SUMMARY|Fatal error|runtime failure|property violated|threw' "$log" | head -5 | sed 's/^/    /'
        ls "$findings" | sed "s|^|    $findings/|"
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: findings in: ${failed[*]} (logs in .build-fuzz/findings/)" >&2
    exit 1
fi
