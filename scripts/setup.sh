#!/usr/bin/env bash
# Installs every system dependency ownerboot needs on a fresh Debian bookworm machine.
# Safe to run twice: apt only installs what is missing, the deb-src entry is written once.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup.sh: run as root (it installs Debian packages with apt-get)" >&2
  exit 1
fi

# Debian source packages (coreboot, linux) need a deb-src entry; add one beside the
# machine's own sources, pointing at the same mirror and suites.
src_list=/etc/apt/sources.list.d/ownerboot-deb-src.sources
if [ ! -f "$src_list" ]; then
  cat > "$src_list" <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  echo "setup.sh: added deb-src entry $src_list"
fi

packages=(
  # C libraries the Swift package links against
  pkg-config libflashrom-dev libftdi1-dev libusb-1.0-0-dev libelf-dev
  liblzma-dev liblz4-dev zlib1g-dev libzstd-dev libsqlite3-dev
  # coreboot's own tools, used to cross-check the Boot formats
  coreboot-utils flashrom
  # scripts/fuzz-seeds.sh (regenerating the committed seed corpora)
  gcc
  # sandbox, build environments, sources
  bubblewrap mmdebstrap dpkg-dev debian-archive-keyring xz-utils zstd lz4 cpio
  # every .deb is checked against Debian's signed InRelease (gpgv + the archive keyring above);
  # the tests sign a miniature archive with a throwaway key (gpg)
  gpgv gpg gpg-agent
  # the emulated board: QEMU, disks
  qemu-system-x86 cryptsetup-bin e2fsprogs fdisk   # fdisk: sfdisk writes the GPT of `ownerboot disk`
  # measured boot and unattended unlock: the emulated TPM, tang, and the real clevis tools the
  # scenarios check ownerboot's tokens against
  swtpm swtpm-tools tpm2-tools clevis clevis-luks clevis-tpm2 tang jose
  # ownerboot totp enroll draws the otpauth:// URI as a QR code; its tests compare codes with oathtool
  qrencode oathtool
  # the unlocker's ob-unlock, compiled on the host by its tier-1 test (through its Makefile)
  gcc make libssl-dev
  # shell: scripts/check-shell.sh (every shell file), and the unlocker's stages run on the host
  # under busybox sh by their tier-1 tests (UnlockerStageTests)
  shellcheck busybox
  # signatures checked by the tools an evaluator already trusts
  minisign signify-openbsd
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

stamp=/var/lib/apt/lists/.ownerboot-updated
if [ ${#missing[@]} -gt 0 ] || [ ! -f "$stamp" ] || [ -n "$(find "$src_list" -newer "$stamp" 2>/dev/null)" ]; then
  echo "setup.sh: apt-get update"
  apt-get update -qq
  touch "$stamp"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup.sh: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The SBOM and provenance validators (PyPI, exact pins) in their own virtual environment, so
# the machine's Python packages are left alone. Reinstalled only when the pins change.
venv="${OWNERBOOT_PYTHON_TOOLS:-/opt/ownerboot/python}"
requirements="$(cd "$(dirname "$0")" && pwd)/requirements-test.txt"
wanted="$(sha256sum < "$requirements" | cut -d' ' -f1)"
if [ ! -x "$venv/bin/pyspdxtools" ] || [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$wanted" ]; then
  echo "setup.sh: installing the SBOM/provenance validators into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$wanted" > "$venv/.requirements.sha256"
fi
echo "setup.sh: system dependencies ready"
