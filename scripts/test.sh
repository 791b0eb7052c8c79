#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs the system dependencies, then runs
# tier 1 (`swift test`). `.ci/run` calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build
