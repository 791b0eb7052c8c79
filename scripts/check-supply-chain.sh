#!/usr/bin/env bash
# Checks a built board's supply-chain documents with the independent tools (issue 14): its
# latest generation's SPDX SBOM with pyspdxtools and the NTIA checker (sbomcheck), its
# provenance, signed with a throwaway owner key, with in-toto/securesystemslib
# (scripts/verify-provenance.py); and that writing each twice gives the same bytes.
# Reads the store only. Usage: scripts/check-supply-chain.sh [BOARD] (default qemu-x86).
set -euo pipefail
cd "$(dirname "$0")/.."
board=${1:-qemu-x86}
ob=${OWNERBOOT:-.build/debug/ownerboot}
tools="${OWNERBOOT_PYTHON_TOOLS:-/opt/ownerboot/python}/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$ob" sbom board="$board" -o "$work/sbom.spdx.json"
"$ob" sbom board="$board" -o "$work/again.spdx.json"
cmp "$work/sbom.spdx.json" "$work/again.spdx.json"
"$tools/pyspdxtools" -i "$work/sbom.spdx.json"
echo "check-supply-chain: pyspdxtools: $board's SBOM is valid SPDX 2.3"
"$tools/sbomcheck" "$work/sbom.spdx.json" | sed -n '1,12p'
"$tools/python3" - "$work/sbom.spdx.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
debs = [p for p in d["packages"] if p["SPDXID"].startswith("SPDXRef-Deb-")]
contained = {r["relatedSpdxElement"] for r in d["relationships"]
             if r["relationshipType"] == "CONTAINS" and r["spdxElementId"].startswith("SPDXRef-Component-")
             and r["relatedSpdxElement"].startswith("SPDXRef-Deb-")}
print(f"check-supply-chain: {len(d['packages'])} packages ({len(debs)} Debian packages, {len(contained)} of them inside outputs), "
      f"{len(d['files'])} files, {len(d['relationships'])} relationships")
PY

"$ob" key generate --key "$work/key/owner.key" >/dev/null
"$ob" provenance board="$board" --key "$work/key/owner.key" -o "$work/provenance.json"
"$ob" provenance board="$board" --key "$work/key/owner.key" -o "$work/again.json"
cmp "$work/provenance.json" "$work/again.json"
"$tools/python3" scripts/verify-provenance.py "$work/provenance.json" "$work/key/owner.pub"
echo "check-supply-chain: $board: SBOM and provenance verified"
