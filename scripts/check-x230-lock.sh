#!/usr/bin/env bash
# The X230's flash lock is in the built bytes, not only in boards/x230/coreboot.config:
# - the CBFS `config` file (coreboot's savedefconfig: non-default values only) selects
#   BOOTMEDIA_LOCK_CONTROLLER and no other protected-region choice than WHOLE_RO (the default,
#   so absent), and does not switch off INTEL_CHIPSET_LOCKDOWN (default y: FLOCKDN in SMM);
# - the ramstage carries security/lockdown/lockdown.c (its log strings; a ROM built without
#   the option has none of them) and the 'readonly' branch that programs PR0.
# Usage: check-x230-lock.sh ROM   (needs cbfstool on PATH; ~1 s)
set -euo pipefail
rom=${1:?usage: check-x230-lock.sh ROM}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-x230-lock: $rom: $*" >&2; exit 1; }
cbfstool "$rom" extract -r COREBOOT -n config -f "$tmp/config" >/dev/null 2>&1 || fail "cbfstool finds no config file in its COREBOOT region"
grep -qx 'CONFIG_BOOTMEDIA_LOCK_CONTROLLER=y' "$tmp/config" || fail "its CBFS config lacks CONFIG_BOOTMEDIA_LOCK_CONTROLLER=y"
if grep -E '^CONFIG_BOOTMEDIA_LOCK_(WHOLE_NO_ACCESS|WPRO_VBOOT_RO|NONE|CHIP)=y|^# CONFIG_INTEL_CHIPSET_LOCKDOWN is not set' "$tmp/config"; then
  fail "its CBFS config chooses another lock than whole-RO + chipset lockdown (line above)"
fi
cbfstool "$rom" extract -r COREBOOT -n fallback/ramstage -m x86 -f "$tmp/ramstage" >/dev/null 2>&1 || fail "cbfstool cannot extract its ramstage"
strings "$tmp/ramstage" > "$tmp/strings"
grep -qx 'BM-LOCKDOWN: Enabling boot media protection scheme ' "$tmp/strings" || fail "its ramstage has no boot media lockdown code"
grep -qx "'readonly'" "$tmp/strings" || fail "its ramstage lacks the read-only (PR0 write-protect) branch"
grep -q 'FPR %d is enabled for range' "$tmp/strings" || fail "its ramstage lacks the PCH protected-range driver"
echo "check-x230-lock: $rom: CBFS config has BOOTMEDIA_LOCK_CONTROLLER (whole RO, chipset lockdown on); ramstage has the lockdown and PRx code"
