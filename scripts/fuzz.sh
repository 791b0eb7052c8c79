#!/usr/bin/env bash
# Coverage-guided fuzzing of every Boot parser that reads untrusted bytes, and of the unlocker's
# C parsers (ob-unlock: LUKS2 token, JWE, sss, tang's replies, TPM responses) (Fuzz/README.md).
# Builds the harnesses with libFuzzer and AddressSanitizer (the Swift toolchain ships both; the
# C ones also with UndefinedBehaviorSanitizer and LeakSanitizer, compiled by the toolchain's clang
# through recipes/unlocker/ob-unlock/Makefile, so with the recipe's warnings),
# then runs each for SECONDS with a 1 s per-input timeout and a bounded RSS. Findings (crash,
# trap, timeout, out of memory, a leak in C) are written to .build-fuzz/findings/<harness>/ and make the
# script fail. The committed seeds (Fuzz/Corpus/<harness>) are read, never written; what the
# fuzzer learns accumulates in .build-fuzz/corpus/<harness> between runs.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_HARNESS] [HARNESS...]     (default 60 s, every harness)
#   FUZZ_RSS_MB=2048        libFuzzer's -rss_limit_mb (and the largest single allocation)
#   FUZZ_OPT=-O             how Boot and the harnesses are optimised (-Onone builds faster)
#   FUZZ_FLAGS="..."        more libFuzzer flags, e.g. "-max_len=1048576" or "-jobs=2"
# Reproduce a finding: .build-fuzz/fuzz-<harness> FILE   (with SWIFT_BACKTRACE=enable=no)
# Seeds of the C harnesses: scripts/fuzz-seeds-unlocker.sh (real clevis, tang and swtpm).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
shift || true
swift_all=(fmap fmd cbfs-walk cbfs-edit self bzimage elf cpio ifd manifest decompress inspect tpm-quote)
c_all=(unlocker-token unlocker-jwe unlocker-sss unlocker-tang unlocker-tpm unlocker-derive)
all=("${swift_all[@]}" "${c_all[@]}")
harnesses=("$@")
[[ ${#harnesses[@]} -gt 0 ]] || harnesses=("${all[@]}")
need_swift=false need_c=false
for h in "${harnesses[@]}"; do
    case " ${swift_all[*]} " in *" $h "*) need_swift=true;; esac
    case " ${c_all[*]} " in *" $h "*) need_c=true;; esac
done
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
if $need_swift; then
    swift build --target Support >"$out/build.log" 2>&1 || { cat "$out/build.log" >&2; echo "fuzz.sh: swift build --target Support failed" >&2; exit 1; }
    deps="$(swift build --show-bin-path)"
    cmodules=()
    for c in Sources/C/*/; do cmodules+=(-I "$c"); done
    # shellcheck disable=SC2054 # -sanitize=fuzzer,address is one argument
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
    dep_dirs=()
    for d in $boot_deps; do [[ -d "$deps/$d.build" ]] && dep_dirs+=("$deps/$d.build"); done
    if stale "$out/libdeps.a" scripts/fuzz.sh "$deps/description.json" "${dep_dirs[@]}"; then
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
    for h in "${swift_all[@]}"; do ln -sf boot-fuzz "$out/fuzz-$h"; done
fi
# The unlocker's C parsers: the Makefile's objects (its warnings, -Werror) built by the
# toolchain's clang with the sanitizers instead of _FORTIFY_SOURCE, one executable per harness.
if $need_c; then
    clang="${FUZZ_CLANG:-$(dirname "$(command -v swiftc)")/clang}"
    sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -g"
    make -s -C recipes/unlocker/ob-unlock O="$PWD/$out/unlocker" CC="$clang" FORTIFY= SANITIZE="$sanitize" lib \
        >"$out/unlocker-build.log" 2>&1 || { cat "$out/unlocker-build.log" >&2; echo "fuzz.sh: building ob-unlock for fuzzing failed" >&2; exit 1; }
    cflags=$(make -s -C recipes/unlocker/ob-unlock O="$PWD/$out/unlocker" FORTIFY= SANITIZE="$sanitize" flags | sed -n 1p)
    for h in "${c_all[@]}"; do
        src="Fuzz/Unlocker/${h#unlocker-}.c"
        if stale "$out/fuzz-$h" "$src" Fuzz/Unlocker/fuzz.h "$out/unlocker/libob-unlock.a"; then
            rm -f "$out/fuzz-$h"
            # shellcheck disable=SC2086 # cflags is the Makefile's list of flags, one word each
            "$clang" $cflags -fsanitize=fuzzer,address,undefined -I recipes/unlocker/ob-unlock "$src" \
                "$out/unlocker/libob-unlock.a" -lcrypto -o "$out/fuzz-$h" 2>&1 | grep -v "Cannot export local symbol" >&2 || true
            [[ -x "$out/fuzz-$h" ]] || { echo "fuzz.sh: building $h failed" >&2; exit 1; }
        fi
    done
fi
echo "fuzz.sh: built in $(( $(date +%s) - build_start )) s"

# Swift's own crash reporter would fight AddressSanitizer over a crashing process; libFuzzer
# reports the trap itself. Leaks are not looked for in the Swift harnesses (memory is bounded by
# -rss_limit_mb): LeakSanitizer's scan after every input that allocates on another thread (the
# inspector hashes on one) costs a hundred times the input itself. The C harnesses run on one
# thread and free all they allocate, so there a leak is a finding.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_may_return_null=0:handle_abort=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
failed=()
for h in "${harnesses[@]}"; do
    [[ -e "$out/fuzz-$h" ]] || { echo "fuzz.sh: no harness '$h' (known: ${all[*]})" >&2; exit 2; }
    work=".build-fuzz/corpus/$h" findings=".build-fuzz/findings/$h"
    mkdir -p "$work" "$findings"
    log=".build-fuzz/findings/$h.log"
    start=$(date +%s)
    leaks=0; case $h in unlocker-*) leaks=1;; esac
    # shellcheck disable=SC2086
    if "$out/fuzz-$h" -max_total_time="$seconds" -timeout=1 -rss_limit_mb="$rss" -malloc_limit_mb="$rss" -detect_leaks=$leaks \
        -artifact_prefix="$findings/" -print_final_stats=1 ${FUZZ_FLAGS:-} "$work" "Fuzz/Corpus/$h" >"$log" 2>&1; then
        status=ok
    else
        status=FINDING
        failed+=("$h")
    fi
    stats=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE|INITED)' "$log" | tail -1 | grep -oE 'cov: [0-9]+|ft: [0-9]+|corp: [0-9]+/[0-9]+[a-zA-Z]*|exec/s: [0-9]+' | tr '\n' ' ' || true)
    runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
    printf 'fuzz %-15s %-7s %4d s  %10s runs  %s\n' "$h" "$status" "$(( $(date +%s) - start ))" "$runs" "$stats"
    if [[ $status != ok ]]; then
        grep -E 'ERROR|SUMMARY|Fatal error|runtime failure|property violated|threw' "$log" | head -5 | sed 's/^/    /'
        find "$findings" -type f | sed "s|^|    |"
    fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz.sh: findings in: ${failed[*]} (logs in .build-fuzz/findings/)" >&2
    exit 1
fi
