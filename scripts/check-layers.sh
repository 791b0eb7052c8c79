#!/usr/bin/env bash
# Checks the direction of dependencies between Sources/Orchestrator's folders (see its README):
# a type defined in one folder (or any subfolder of it) may be named only by files in the folders
# allowed to use it; and that no folder holds more than 12 Swift files at its top level.
# Prints each violation as FILE: uses TYPE (FOLDER) and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")/../Sources/Orchestrator"
python3 - <<'PY'
import re, glob, sys, os
allowed = {
    "Derivations": set(),
    "Boards": {"Derivations"},
    "Store": {"Boards", "Derivations"},
    "Inputs": {"Boards", "Derivations", "Store"},
    "Build": {"Inputs", "Store", "Boards", "Derivations"},
    "Fleet": {"Build", "Store", "Boards", "Derivations", "Attestation"},
    "Flashing": {"Boards", "Store", "Derivations"},
    "Emulation": set(),
    "Disks": set(),
    "Provisioning": {"Disks", "Boards", "Derivations"},
    "Bundles": {"Build", "Inputs", "Store", "Boards", "Derivations"},
    "Scenarios": {"Emulation", "Disks", "Provisioning", "Flashing", "Build", "Store", "Boards", "Derivations", "Inputs"},
    "Signing": set(),
    "Attestation": set(),
    "Provenance": {"Signing", "Build", "Inputs", "Store", "Boards", "Derivations"},
}
files = [f for f in glob.glob("**/*.swift", recursive=True)]
folder = lambda f: f.split("/")[0]
unknown = sorted({folder(f) for f in files} - allowed.keys())
if unknown:
    sys.exit(f"check-layers: folder(s) {', '.join(unknown)} are not in the table; add them to scripts/check-layers.sh and Sources/Orchestrator/README.md")
decl = re.compile(r"^(?:public |internal |package )?(?:final )?(?:struct|enum|class|actor|protocol)\s+(\w+)", re.M)
defined = {}
for f in files:
    for name in decl.findall(open(f).read()):
        defined[name] = folder(f)
bad = []
for f in files:
    text = re.sub(r"//.*", "", open(f).read())
    for name, home in defined.items():
        if home != folder(f) and home not in allowed[folder(f)] and re.search(r"(?<![.\w])" + name + r"\b", text):
            bad.append(f"Sources/Orchestrator/{f}: uses {name} ({home}/), which {folder(f)}/ may not use")
# A folder (or subfolder) holds at most 12 Swift files at its top level; past that, subfolders by concern.
crowded = {}
for f in files:
    crowded.setdefault(os.path.dirname(f), []).append(f)
for d, members in sorted(crowded.items()):
    if len(members) > 12:
        bad.append(f"Sources/Orchestrator/{d}/: {len(members)} Swift files at its top level (at most 12: group them into subfolders by concern)")
print("\n".join(bad) if bad else f"check-layers: {len(files)} files in {len(allowed)} folders, every dependency points downwards, no folder holds more than 12 files")
sys.exit(1 if bad else 0)
PY
