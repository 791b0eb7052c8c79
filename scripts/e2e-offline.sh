#!/usr/bin/env bash
# Tier 2, the input half of issue 14, on the real emulated board (qemu-x86):
#  1. `fetch`, then `build` under `unshare -n` (a network namespace with only loopback up).
#     By default this runs on the reference home that scripts/e2e.sh built
#     (OWNERBOOT_E2E_REFERENCE_HOME, default the user's own home): fetch finds everything there
#     and the build is all cache hits, which proves nothing is missing. With
#     OWNERBOOT_E2E_OFFLINE_FULL=1 it runs on a fresh home instead: fetch online, then every
#     component built cold with no network, compared output by output with the reference.
#  2. `export`, signed with a throwaway owner key → refused with the importing home unchanged:
#     a tampered copy, a copy with a file missing, a changed manifest (bad signature), an
#     unsigned bundle, a bundle signed by a key the home does not trust → `import` into an
#     empty home that trusts the key, under `unshare -n` → `build --expect` with a wrong set
#     hash fails before building → `build --generation N --expect SETHASH` under `unshare -n`,
#     every component built cold, gives the identical ROM and every component bit-identical to
#     the first home's (scripts/e2e.sh relies on this instead of a second build in one home).
# Needs root (unshare -n). One cold build of qemu-x86 by default (two with FULL=1).
# Prints the timings, the bundle size and the hashes; exits non-zero on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
ob=$(realpath "${OWNERBOOT:-.build/debug/ownerboot}")
board=qemu-x86
work=${OWNERBOOT_E2E_OFFLINE_DIR:-$(mktemp -d /var/tmp/ownerboot-offline.XXXXXX)}
reference=${OWNERBOOT_E2E_REFERENCE_HOME:-${HOME}/.local/share/ownerboot}
export OWNERBOOT_BOARDS="$repo/boards"
mkdir -p "$work"
if [ "${OWNERBOOT_E2E_OFFLINE_KEEP:-0}" != 1 ]; then trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT; fi
echo "e2e-offline: working in $work"

# A fresh network namespace with only loopback up: nothing outside the machine can be reached.
# (Loopback must be up: swift-corelibs-foundation's Process waits for children through a
# CFSocket wakeup pair on 127.0.0.1, and hangs without it.)
offline() { unshare -n -- sh -c 'ip link set lo up && exec "$@"' offline "$@"; }
links=$(offline ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' ')
[ "$links" = "lo " ] || { echo "e2e-offline: the offline namespace has interfaces besides lo: $links" >&2; exit 1; }
[ -z "$(offline ip route show)" ] || { echo "e2e-offline: the offline namespace has a route" >&2; exit 1; }
json() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, {'d': d}))" "$@"; }
rom_sha() { sha256sum "$1"/*.rom | cut -d' ' -f1; }
state() { { ls -a "$1/store" 2>/dev/null; OWNERBOOT_HOME=$1 "$ob" generations board=$board --json; } | sha256sum; }
in_dir() { local dir=$1; shift; (cd "$dir" && "$@"); }
t() { local s; s=$(date +%s.%N); "$@"; elapsed=$(python3 -c "print(round($(date +%s.%N) - $s, 1))"); }

# 1. fetch, then a cold build with no network.
a=$work/home-a; mkdir -p "$work/cwd-a"
[ "${OWNERBOOT_E2E_OFFLINE_FULL:-0}" = 1 ] || a=$reference
if [ "${OWNERBOOT_E2E_OFFLINE_REUSE:-0}" = 1 ] && [ -s "$work/a.json" ]; then
  # Reuse step 1 of an earlier run in the same OWNERBOOT_E2E_OFFLINE_DIR (to rerun step 2).
  fetch_s=reused; build_a_s=reused; rm -f "$work"/*.bundle
else
  t env OWNERBOOT_HOME="$a" "$ob" fetch board="$board"; fetch_s=$elapsed
  OWNERBOOT_HOME=$a t in_dir "$work/cwd-a" offline "$ob" build board=$board --json > "$work/a.json"; build_a_s=$elapsed
fi
set_a=$(json "$work/a.json" 'd["setHash"]'); gen_a=$(json "$work/a.json" 'd["generation"]')
rom_a=$(rom_sha "$(json "$work/a.json" 'd["outputs"]["rom"]')")
echo "e2e-offline: offline build: generation $gen_a, set $set_a, ROM sha256 $rom_a ($build_a_s s)"

if [ -f "$reference/store.sqlite" ] && [ "$reference" != "$a" ]; then
  # Every output both homes hold under one derivation hash must be the same bytes: the
  # components built offline against the reference's online builds; the build environment
  # (made offline from the stored .debs here, from the mirror there) is reported.
  python3 - "$a" "$reference" <<'PY'
import sqlite3, sys
def outputs(home):
    db = sqlite3.connect(f"file:{home}/store.sqlite?mode=ro", uri=True)
    return {h: (n, k, c) for h, n, k, c in db.execute("SELECT hash, name, kind, contentHash FROM output WHERE kind IN ('component', 'buildenv')")}
ours, theirs = outputs(sys.argv[1]), outputs(sys.argv[2])
bad = False
for h, (name, kind, content) in sorted(ours.items(), key=lambda x: x[1][0]):
    if h not in theirs: continue
    same = theirs[h][2] == content
    print(f"e2e-offline: {name} ({h[:12]}): {'identical to' if same else 'DIFFERS from'} the reference home's output")
    bad |= kind == "component" and not same
sys.exit(1 if bad else 0)
PY
  ref_json=$(OWNERBOOT_HOME=$reference "$ob" generations board=$board --json)
  ref=$(python3 -c "
import json,sys
for g in json.loads(sys.argv[1]):
    if g['setHash'] == sys.argv[2]: print(g['number'], g['components']['rom'])" "$ref_json" "$set_a")
  if [ -z "$ref" ]; then
    echo "e2e-offline: the reference home $reference has no generation with set $set_a (it was built from other inputs): no comparison" >&2
    [ "${OWNERBOOT_E2E_REQUIRE_REFERENCE:-0}" = 1 ] && exit 1
  else
    read -r ref_gen ref_rom_drv <<<"$ref"
    if [ "$ref_gen" = "$gen_a" ] && [ -d "$reference/store/$ref_rom_drv-rom" ]; then
      ref_rom=$(rom_sha "$reference/store/$ref_rom_drv-rom")
      [ "$ref_rom" = "$rom_a" ] || { echo "e2e-offline: offline ROM $rom_a differs from the reference's online-built $ref_rom" >&2; exit 1; }
      echo "e2e-offline: same set hash and ROM as the reference home's online build (generation $ref_gen)"
    else
      echo "e2e-offline: same set hash as the reference home (its generation $ref_gen, ours $gen_a: the ROM embeds the number, so only the set is compared)"
    fi
  fi
fi

# 2. export, refusals, import into an empty home with no network, rebuild with --expect.
bundle=$work/$board.bundle
keys=$work/keys; mkdir -p "$keys"
OWNERBOOT_HOME=$keys "$ob" key generate >/dev/null
key=$keys/keys/owner.key
t env OWNERBOOT_HOME="$a" "$ob" export board="$board" -o "$bundle" --key "$key"; export_s=$elapsed
OWNERBOOT_HOME=$a "$ob" export board=$board -o "$work/unsigned.bundle" --unsigned >/dev/null
bundle_bytes=$(stat -c %s "$bundle")

python3 - "$bundle" "$work" <<'PY'
import json, sys
bundle, work = sys.argv[1], sys.argv[2]
data = bytearray(open(bundle, "rb").read())
def members():
    off = 0
    while off + 512 <= len(data) and any(data[off:off + 512]):
        h = data[off:off + 512]
        name = h[0:100].split(b"\0")[0].decode(); prefix = h[345:500].split(b"\0")[0].decode()
        size = int(h[124:136].split(b"\0")[0].strip() or b"0", 8)
        yield (prefix + "/" + name if prefix else name), off, size
        off += 512 + (size + 511) // 512 * 512
ms = list(members())
# The biggest source file: one byte flipped in its middle.
path, off, size = max((m for m in ms if m[0].startswith("store/") and "-source-" in m[0]), key=lambda m: m[2])
t = bytearray(data); t[off + 512 + size // 2] ^= 1
open(f"{work}/tampered.bundle", "wb").write(t); open(f"{work}/tampered.path", "w").write(path)
# A .deb left out.
path, off, size = next(m for m in ms if m[0].endswith(".deb") and "/" in m[0])
open(f"{work}/missing.bundle", "wb").write(data[:off] + data[off + 512 + (size + 511) // 512 * 512:])
open(f"{work}/missing.path", "w").write(path)
# The manifest changed after signing: one byte of its first file's hash.
path, off, size = next(m for m in ms if m[0] == "manifest.json")
m = bytearray(data); body = m[off + 512:off + 512 + size]
import re
i = re.search(rb'"sha256"\s*:\s*"[0-9a-f]', body).end() - 1
m[off + 512 + i] = ord("0") if m[off + 512 + i] != ord("0") else ord("1")
open(f"{work}/resigned.bundle", "wb").write(m)
PY
c=$work/home-c
u=$work/home-untrusting; mkdir -p "$u"; OWNERBOOT_HOME=$u "$ob" generations board=$board --json >/dev/null
mkdir -p "$c"; OWNERBOOT_HOME=$c "$ob" generations board=$board --json >/dev/null
OWNERBOOT_HOME=$c "$ob" key trust "$keys/keys/owner.pub" >/dev/null
before=$(state "$c")
refuse() {  # refuse NAME EXPECTED-TEXT ARGS...: the import must fail, say EXPECTED-TEXT and change nothing
  local name=$1 expected=$2; shift 2
  if OWNERBOOT_HOME=$c offline "$ob" import "$@" > "$work/$name.out" 2>&1; then echo "e2e-offline: the $name bundle was imported" >&2; exit 1; fi
  grep -qF -- "$expected" "$work/$name.out" || { echo "e2e-offline: the $name refusal does not name $expected:" >&2; cat "$work/$name.out" >&2; exit 1; }
  [ "$(state "$c")" = "$before" ] || { echo "e2e-offline: the refused $name import changed the store" >&2; exit 1; }
  echo "e2e-offline: $name bundle refused, store unchanged: $(grep -m1 '^Error' "$work/$name.out")"
}
refuse tampered "$(cat "$work/tampered.path")" "$work/tampered.bundle" --allow-unsigned
refuse missing "$(cat "$work/missing.path")" "$work/missing.bundle" --allow-unsigned
refuse changed-manifest "does not verify" "$work/resigned.bundle" --allow-unsigned
refuse unsigned "not signed" "$work/unsigned.bundle"
if OWNERBOOT_HOME=$u offline "$ob" import "$bundle" > "$work/untrusted.out" 2>&1; then echo "e2e-offline: a home that trusts no key imported the bundle" >&2; exit 1; fi
grep -q "not trusted" "$work/untrusted.out" || { cat "$work/untrusted.out" >&2; exit 1; }
echo "e2e-offline: untrusted bundle refused: $(head -n1 "$work/untrusted.out")"

b=$work/home-b; mkdir -p "$work/cwd-b" "$b"
OWNERBOOT_HOME=$b "$ob" key trust "$keys/keys/owner.pub" >/dev/null
OWNERBOOT_HOME=$b t offline "$ob" import "$bundle"; import_s=$elapsed
if OWNERBOOT_HOME=$b offline "$ob" build board=$board --generation "$gen_a" --expect "$(printf '%064d' 0)" > "$work/wrong.out" 2>&1; then
  echo "e2e-offline: build --expect with a wrong set hash succeeded" >&2; exit 1
fi
grep -q "not the expected" "$work/wrong.out"
OWNERBOOT_HOME=$b t in_dir "$work/cwd-b" offline "$ob" build board=$board --generation "$gen_a" --expect "$set_a" --json > "$work/b.json"; build_b_s=$elapsed
rom_b=$(rom_sha "$(json "$work/b.json" 'd["outputs"]["rom"]')")
[ "$(json "$work/b.json" 'd["setHash"]')" = "$set_a" ] && [ "$(json "$work/b.json" 'd["generation"]')" = "$gen_a" ]
[ "$rom_b" = "$rom_a" ] || { echo "e2e-offline: the air-gapped rebuild's ROM $rom_b differs from $rom_a" >&2; exit 1; }
echo "e2e-offline: air-gapped rebuild from the bundle: generation $gen_a, set $set_a, identical ROM $rom_b"
# Every component of the set, not only the ROM (the OS image is not in it): the air-gapped home
# built each one cold from the bundle, the first home built it before; their bytes must agree.
# This is the reproducibility check tier 2 relies on (scripts/e2e.sh no longer runs --check on
# qemu-x86 by default): two builds in two homes, one of them with no network.
python3 - "$a" "$b" "$work/a.json" "$work/b.json" <<'PY'
import json, os, sqlite3, sys
home_a, home_b, a_json, b_json = sys.argv[1:5]
def content(home, path):
    drv = os.path.basename(path.rstrip("/")).split("-", 1)[0]
    db = sqlite3.connect(f"file:{home}/store.sqlite?mode=ro", uri=True)
    row = db.execute("SELECT contentHash FROM output WHERE hash = ?", (drv,)).fetchone()
    return drv, (row[0] if row else None)
a, b = json.load(open(a_json))["outputs"], json.load(open(b_json))["outputs"]
bad = sorted(set(a) ^ set(b))
if bad: print(f"e2e-offline: the two builds made different components: {bad}", file=sys.stderr); sys.exit(1)
for name in sorted(b):
    (da, ca), (db_, cb) = content(home_a, a[name]), content(home_b, b[name])
    if da != db_ or ca is None or ca != cb:
        print(f"e2e-offline: {name}: the air-gapped build ({db_[:12]}, content {cb}) DIFFERS from the first ({da[:12]}, content {ca}); diffoscope explains it", file=sys.stderr)
        sys.exit(1)
    print(f"e2e-offline: {name} ({da[:12]}): bit-identical in both homes (content {ca[:16]})")
PY
echo "e2e-offline: timings: fetch ${fetch_s} s, offline cold build ${build_a_s} s, export ${export_s} s, import ${import_s} s, air-gapped cold build ${build_b_s} s; bundle $bundle_bytes bytes ($(( bundle_bytes >> 20 )) MiB)"
