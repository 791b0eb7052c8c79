# shellcheck shell=sh
# mount_state: the writable state (/dev/mapper/state) under the read-only verity root. First
# boot: the state starts as a copy of the image's /var; /etc changes live in an overlay on top
# of the read-only /etc (SSH host keys, machine-id are made there). The state stays reachable
# from the OS at /run/ownerboot/state (systemd keeps a /run that is already a mount point).
mount_state() {
    mount -t ext4 /dev/mapper/state /mnt/state || rescue "the state partition $state is not a mountable ext4"
    mkdir -p /mnt/state/etc /mnt/state/.etc-work /mnt/state/home
    if [ ! -d /mnt/state/var ]; then cp -a /mnt/root/var /mnt/state/var.new && mv /mnt/state/var.new /mnt/state/var; fi
    prune_etc
    mount --bind /mnt/state/var /mnt/root/var || rescue "could not mount the state's /var"
    mount -t overlay overlay -o lowerdir=/mnt/root/etc,upperdir=/mnt/state/etc,workdir=/mnt/state/.etc-work /mnt/root/etc \
        || rescue "could not mount the /etc overlay"
    mount -t tmpfs -o mode=0755,nosuid,nodev run /mnt/root/run
    mkdir -p /mnt/root/run/ownerboot/state
    mount --move /mnt/state /mnt/root/run/ownerboot/state
}

# prune_etc: only what the verified OS declares writable (/etc/ownerboot/writable-etc: one
# shell pattern per line, relative to /etc, such as ssh/ssh_host_*) is laid over its /etc.
# Anything else the state's /etc holds (a unit, a cron job or a changed sudoers that someone
# with root in the OS left to come back after a reboot; a whiteout hiding a verified file) is
# set aside in the state's refused-etc/ (the last boot's only), named on the console, and never
# seen by the OS. An OS without the declaration (an older image) gets the whole overlay.
prune_etc() {
    declared=/mnt/root/etc/ownerboot/writable-etc
    if [ ! -f $declared ]; then
        echo "ownerboot: the OS declares no writable /etc ($declared): all of the state's /etc is laid over it"
        return 0
    fi
    patterns=$(grep -v '^#' $declared)
    rm -rf /mnt/state/refused-etc
    (cd /mnt/state/etc && find . -mindepth 1) | sed 's|^\./||' >/run/ob-etc.list
    refused=0 first=''
    while IFS= read -r entry; do
        # Gone with a folder set aside before it (find lists a folder before what it holds).
        [ -e "/mnt/state/etc/$entry" ] || [ -L "/mnt/state/etc/$entry" ] || continue
        etc_writable "$entry" && continue
        case "$entry" in */*) mkdir -p "/mnt/state/refused-etc/${entry%/*}";; *) mkdir -p /mnt/state/refused-etc;; esac
        mv "/mnt/state/etc/$entry" "/mnt/state/refused-etc/$entry" || rescue "could not set aside /etc/$entry of the state"
        refused=$((refused + 1))
        [ -n "$first" ] || first=$entry
    done </run/ob-etc.list
    rm -f /run/ob-etc.list
    [ $refused = 0 ] || echo "ownerboot: set aside $refused entries of the state's /etc that the OS does not declare writable (the first: /etc/$first), in /run/ownerboot/state/refused-etc"
    return 0
}

# etc_writable PATH: PATH (relative to /etc) matches a declared pattern, or is a folder on the
# way to one.
etc_writable() {
    set -f
    for pattern in $patterns; do
        # shellcheck disable=SC2254 # the declared pattern is a pattern
        case "$1" in $pattern) set +f; return 0;; esac
        case "$pattern" in "$1"/*) [ -d "/mnt/state/etc/$1" ] && [ ! -L "/mnt/state/etc/$1" ] && { set +f; return 0; };; esac
    done
    set +f
    return 1
}
