#!/usr/bin/env bash
# Every shell file of the project through shellcheck (scripts/setup.sh installs it): the
# builders and recipe files (recipes/), the scripts (scripts/, .ci/run), the notes' scripts
# (docs/) and anything a board carries (boards/). tier 1 runs it (scripts/test.sh).
#   - The builders (recipes/*/*.sh without a #! line) are run by the sandbox as
#     `/bin/sh -eu /inputs/builder.sh` (Sandbox.swift), Debian's dash: checked as dash, and
#     without SC2164 ("cd ... || exit"), which is wrong under -e: a cd that fails ends the builder.
#   - The unlocker's stages (recipes/unlocker/init) are one program: /init sources main.sh, which
#     sources the others. /init is checked with the sources followed (--check-sourced reports
#     what is wrong inside them, with every shared variable known); each stage file is also
#     checked alone, where SC2154 (a variable assigned in another stage) is left to that whole
#     check. Every stage file must be sourced by main.sh, or the whole check would not see it.
#   - Everything else is checked as its #! line (or its `# shellcheck shell=` line) says.
# Directives inside the files disable a check only where it is wrong, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v shellcheck >/dev/null; then
  echo "check-shell: shellcheck is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi

# The project's files (tracked, or new and not ignored) under the folders that hold shell.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t candidates < <(git ls-files --cached --others --exclude-standard -- recipes scripts docs boards .ci | sort -u)
else
  mapfile -t candidates < <(find recipes scripts docs boards .ci -type f | sort)
fi
builders=() stages=() others=()
for file in "${candidates[@]}"; do
  [ -f "$file" ] || continue
  first=$(head -n1 "$file")
  case "$file" in
    recipes/unlocker/init/*.sh) stages+=("$file"); continue;;
    recipes/unlocker/init/init) continue;;  # the stages' entry: checked with them
    recipes/*/*.sh) if [[ "$first" != '#!'* ]]; then builders+=("$file"); continue; fi;;
  esac
  if [[ "$file" == *.sh || "$file" == .ci/run || "$first" =~ ^'#!'.*(/|env\ )(ba|da|a)?sh([[:space:]]|$) ]]; then
    others+=("$file")
  fi
done

failed=0
run() {
  if ! shellcheck "$@"; then failed=1; fi
}
[ ${#builders[@]} -eq 0 ] || run --shell=dash --exclude=SC2164 "${builders[@]}"
if [ ${#stages[@]} -gt 0 ]; then
  run --external-sources --check-sourced recipes/unlocker/init/init
  run --external-sources --exclude=SC2154 "${stages[@]}"
  for stage in "${stages[@]}"; do
    [ "$stage" = recipes/unlocker/init/main.sh ] && continue
    if ! grep -q "^\. \$lib/${stage##*/}\$" recipes/unlocker/init/main.sh; then
      echo "check-shell: $stage is not sourced by recipes/unlocker/init/main.sh ('. \$lib/${stage##*/}')" >&2
      failed=1
    fi
  done
fi
[ ${#others[@]} -eq 0 ] || run "${others[@]}"

entry=0
[ ${#stages[@]} -eq 0 ] || entry=1
total=$((${#builders[@]} + entry + ${#stages[@]} + ${#others[@]}))
if [ "$failed" -ne 0 ]; then
  echo "check-shell: shellcheck found problems in the $total shell files above" >&2
  exit 1
fi
echo "check-shell: $total shell files clean (${#builders[@]} builders, /init and ${#stages[@]} unlocker stages, ${#others[@]} others)"
