#!/usr/bin/env bash
# Tier 2: an owner's board outside the project, built with the installed binary. A boards
# repository in a temporary folder holds one board, `my-pc`, that includes the shipped
# qemu-i440fx profile and overrides one thing (one more OS package, vim-tiny). ownerboot is
# installed there by scripts/install.sh (the debug build the tests made, and the recipe layer
# in PREFIX/share/ownerboot/recipes); run from outside the checkout, it finds the board
# through config.toml and the recipes beside the binary. Beside the success: a typo in the
# override is refused naming the file, line and near miss, and writes nothing.
# Shares the store with e2e.sh's qemu-x86 build (same home), so the firmware, kernel and
# unlocker are cache hits and only the OS and the ROM are built (~3 min on 2 cores); `lock
# --keep` resolves only the OS (Debian's mirror, as `ownerboot lock` does).
set -euo pipefail
cd "$(dirname "$0")/.."
home=${OWNERBOOT_HOME:-$HOME/.local/share/ownerboot}
work=$(mktemp -d /tmp/ownerboot-own-board.XXXXXX)
config="$home/config.toml"
saved=
if [ -f "$config" ]; then saved="$work/config.toml.saved"; cp "$config" "$saved"; fi
restore() {
  if [ -n "$saved" ]; then cp "$saved" "$config"; else rm -f "$config"; fi
  rm -rf "$work"
}
trap restore EXIT
fail() { echo "e2e-own-board: $*" >&2; exit 1; }

mkdir -p "$work/my-boards/boards/my-pc"
cat > "$work/my-boards/boards/my-pc/board.toml" <<'TOML'
# An owner's board: the emulated machine ownerboot ships, with one more OS package.
[board]
name = "my-pc"
profile = "qemu-i440fx"
description = "an owner's board kept outside the project"

[os]
extra_packages = ["vim-tiny"]
TOML
# The lock starts from qemu-x86's: `lock --keep` keeps every pin whose request is unchanged.
cp boards/qemu-x86/ownerboot.lock "$work/my-boards/boards/my-pc/ownerboot.lock"

# qemu-x86's plan from the checkout, to compare the owner's board with.
checkout_plan="$work/qemu-x86-plan.json"
"${OWNERBOOT:-.build/debug/ownerboot}" plan board=qemu-x86 --json > "$checkout_plan"
bash scripts/install.sh --prefix "$work/prefix" --boards "$work/my-boards/boards" --configuration debug
ob="$work/prefix/bin/ownerboot"
test -f "$work/prefix/share/ownerboot/recipes/profiles/qemu-i440fx.toml" || fail "install.sh did not install the recipes"
cd "$work"    # outside the checkout: boards come from config.toml, recipes from PREFIX/share

"$ob" boards board=my-pc --resolved
"$ob" boards board=my-pc --resolved --json > resolved.json
python3 - "$work/prefix/share/ownerboot/recipes" <<'PY'
import json, sys
[r] = json.load(open("resolved.json"))
shipped = sys.argv[1]
assert [p["origin"] for p in r["profiles"]] == ["shipped", "shipped"], r["profiles"]
assert all(c["builder"]["path"].startswith(shipped) for c in r["components"]), "a builder not from the installed recipes"
print("e2e-own-board: profiles", " -> ".join(p["name"] for p in r["profiles"]), "from", shipped)
PY

"$ob" lock board=my-pc --keep
"$ob" plan board=my-pc --json > plan.json
python3 - "$checkout_plan" <<'PY'
import json, sys
plan = json.load(open("plan.json"))
ours = {d["name"]: d for d in plan["derivations"]}
shipped = {d["name"]: d["hash"] for d in json.load(open(sys.argv[1]))["derivations"]}
# The same firmware, kernel and unlocker as qemu-x86 (same recipes, same inputs): the same
# derivations, already in the store from e2e.sh's build.
for name in ("firmware", "kernel", "unlocker"):
    assert ours[name]["hash"] == shipped[name], f"{name} differs from qemu-x86's: the installed recipes differ from the checkout's"
    assert ours[name]["inStore"], f"{name} is not a cache hit"
# One more package: a derivation of its own. (A home kept between runs, as CI's is, may hold
# it from an earlier run, so whether it is in the store says nothing.)
assert ours["os"]["hash"] != shipped["os"], "the OS with one more package must be a new derivation"
print("e2e-own-board: firmware, kernel, unlocker are qemu-x86's; the os is its own derivation"
      + (" (in the store from an earlier run)" if ours["os"]["inStore"] else ""))
PY
start=$(date +%s)
"$ob" build board=my-pc
echo "e2e-own-board: my-pc built in $(( $(date +%s) - start )) s"
# `build` links the outputs under ./result/my-pc/ (here: the temporary folder).
grep -q '^vim-tiny ' result/my-pc/os/packages.txt || fail "vim-tiny is not in the built OS's package list"
"$ob" inspect result/my-pc/rom/my-pc.rom --json > inspect.json
python3 -c 'import json; m = json.load(open("inspect.json")); s = json.dumps(m); assert "my-pc" in s, "the ROM does not name my-pc"'
echo "e2e-own-board: the OS holds vim-tiny ($(grep '^vim-tiny ' result/my-pc/os/packages.txt)); the ROM is my-pc's"

# The refusal beside it: a typo in the override names the file, the line and the near miss.
sed -i 's/^extra_packages/extra_pakages/' "$work/my-boards/boards/my-pc/board.toml"
if "$ob" plan board=my-pc > typo.out 2>&1; then fail "a typo in board.toml was accepted"; fi
{ grep -q "my-pc/board.toml:8" typo.out && grep -q "extra_packages" typo.out; } || { cat typo.out; fail "the typo's error does not name board.toml:8 and extra_packages"; }
echo "e2e-own-board: a typo is refused: $(head -1 typo.out)"
echo "e2e-own-board: ok"
