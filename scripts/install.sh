#!/usr/bin/env bash
# Installs the release build of ownerboot as PREFIX/bin/ownerboot (default PREFIX=/usr/local)
# and its recipe layer (the shared builders, the unlocker, the OS recipe and the profiles boards
# include) as PREFIX/share/ownerboot/recipes, so it runs from anywhere. Outside a checkout it
# finds boards through $OWNERBOOT_HOME/config.toml (`boards = "/path/to/boards"`, default home
# ~/.local/share/ownerboot); `--boards DIR` writes that line for you. An owner's own recipes
# go in a recipes/ folder beside their boards folder (or `recipes = [...]` in config.toml).
#   bash scripts/install.sh [--prefix DIR] [--boards DIR] [--configuration release|debug]
# (--configuration debug installs the debug build the tests already made.)
# The system dependencies (bubblewrap, QEMU, cryptsetup, …) come from scripts/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=${PREFIX:-/usr/local}
boards=
configuration=release
while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) prefix=$2; shift 2 ;;
    --boards) boards=$2; shift 2 ;;
    --configuration) configuration=$2; shift 2 ;;
    *) echo "install.sh: unknown argument $1 (use --prefix DIR, --boards DIR, --configuration release|debug)" >&2; exit 2 ;;
  esac
done
if [ -n "$boards" ]; then
  boards=$(cd "$boards" && pwd) || { echo "install.sh: no folder $boards" >&2; exit 2; }
fi

# SCRATCH: an existing SwiftPM build folder to reuse (default .build).
scratch=(); [ -n "${SCRATCH:-}" ] && scratch=(--scratch-path "$SCRATCH")
case "$configuration" in release|debug) ;; *) echo "install.sh: --configuration is release or debug, not $configuration" >&2; exit 2 ;; esac
swift build -c "$configuration" --product ownerboot "${scratch[@]}"
bin="$(swift build -c "$configuration" "${scratch[@]}" --show-bin-path)/ownerboot"
install -d "$prefix/bin"
# Copy beside the target and rename: a running ownerboot is never half overwritten.
install -m 0755 "$bin" "$prefix/bin/.ownerboot.new"
mv -f "$prefix/bin/.ownerboot.new" "$prefix/bin/ownerboot"
echo "install.sh: installed $prefix/bin/ownerboot"
# The recipe layer: copied whole beside, then swapped in, so a build never sees half of it.
share="$prefix/share/ownerboot"
install -d "$share"
rm -rf "$share/.recipes.new" "$share/.recipes.old"
cp -R recipes "$share/.recipes.new"
chmod -R u=rwX,go=rX "$share/.recipes.new"
if [ -d "$share/recipes" ]; then mv "$share/recipes" "$share/.recipes.old"; fi
mv "$share/.recipes.new" "$share/recipes"
rm -rf "$share/.recipes.old"
echo "install.sh: installed the recipes in $share/recipes"

if [ -n "$boards" ]; then
  home=${OWNERBOOT_HOME:-$HOME/.local/share/ownerboot}
  config="$home/config.toml"
  mkdir -p "$home"
  touch "$config"
  grep -v '^[[:space:]]*boards[[:space:]]*=' "$config" > "$config.new" || true
  printf 'boards = "%s"\n' "$boards" >> "$config.new"
  mv -f "$config.new" "$config"
  echo "install.sh: $config: boards = \"$boards\""
fi
"$prefix/bin/ownerboot" --help >/dev/null
