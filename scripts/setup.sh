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
  # sandbox, build environments, sources; uidmap: newuidmap/newgidmap map an ordinary user's
  # subordinate ids into the multi-id builder's namespace (the Debian OS)
  bubblewrap uidmap mmdebstrap dpkg-dev debian-archive-keyring xz-utils zstd lz4 cpio
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

# Flashing as an ordinary user: the USB programmers ownerboot documents belong to the plugdev
# group (FT2232H 0403:6010, FT232H 0403:6014, CH341A 1a86:5512). The internal programmer and
# linux_spi still need root.
rules=/etc/udev/rules.d/60-ownerboot.rules
wanted_rules='# ownerboot (scripts/setup.sh): USB flash programmers for the plugdev group
SUBSYSTEM=="usb", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6010", MODE="0660", GROUP="plugdev", TAG+="uaccess"
SUBSYSTEM=="usb", ATTRS{idVendor}=="0403", ATTRS{idProduct}=="6014", MODE="0660", GROUP="plugdev", TAG+="uaccess"
SUBSYSTEM=="usb", ATTRS{idVendor}=="1a86", ATTRS{idProduct}=="5512", MODE="0660", GROUP="plugdev", TAG+="uaccess"'
if [ "$(cat "$rules" 2>/dev/null)" != "$wanted_rules" ]; then
  mkdir -p /etc/udev/rules.d
  printf '%s\n' "$wanted_rules" > "$rules"
  echo "setup.sh: wrote $rules (programmers for the plugdev group)"
  if command -v udevadm >/dev/null && [ -d /run/udev ]; then
    udevadm control --reload-rules || true
    udevadm trigger --subsystem-match=usb || true
  fi
fi
getent group plugdev >/dev/null || groupadd --system plugdev

# Building as an ordinary user: run through sudo, the invoking user (SUDO_USER) gets 65536
# subordinate user and group ids (for the multi-id OS build) if it has none, in a range past
# every range /etc/subuid and /etc/subgid already hold, and is added to plugdev.
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ] && id -u "$SUDO_USER" >/dev/null 2>&1; then
  if ! grep -q "^$SUDO_USER:" /etc/subuid 2>/dev/null || ! grep -q "^$SUDO_USER:" /etc/subgid 2>/dev/null; then
    start=$(cat /etc/subuid /etc/subgid 2>/dev/null | awk -F: 'NF==3 { e=$2+$3; if (e>m) m=e } END { print (m>100000 ? m : 100000) }')
    usermod --add-subuids "$start-$((start + 65535))" --add-subgids "$start-$((start + 65535))" "$SUDO_USER"
    echo "setup.sh: gave $SUDO_USER subordinate ids $start-$((start + 65535)) in /etc/subuid and /etc/subgid"
  fi
  if ! id -nG "$SUDO_USER" | tr ' ' '\n' | grep -qx plugdev; then
    usermod -aG plugdev "$SUDO_USER"
    echo "setup.sh: added $SUDO_USER to plugdev (log in again for it to count)"
  fi
fi
echo "setup.sh: system dependencies ready"
