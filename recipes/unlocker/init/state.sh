# shellcheck shell=sh
# mount_state: the writable state (/dev/mapper/state) under the read-only verity root. First
# boot: the state starts as a copy of the image's /var; /etc changes live in an overlay on top
# of the read-only /etc (SSH host keys, machine-id are made there). The state stays reachable
# from the OS at /run/ownerboot/state (systemd keeps a /run that is already a mount point).
mount_state() {
    mount -t ext4 /dev/mapper/state /mnt/state || rescue "the state partition $state is not a mountable ext4"
    mkdir -p /mnt/state/etc /mnt/state/.etc-work /mnt/state/home
    if [ ! -d /mnt/state/var ]; then cp -a /mnt/root/var /mnt/state/var.new && mv /mnt/state/var.new /mnt/state/var; fi
    mount --bind /mnt/state/var /mnt/root/var || rescue "could not mount the state's /var"
    mount -t overlay overlay -o lowerdir=/mnt/root/etc,upperdir=/mnt/state/etc,workdir=/mnt/state/.etc-work /mnt/root/etc \
        || rescue "could not mount the /etc overlay"
    mount -t tmpfs -o mode=0755,nosuid,nodev run /mnt/root/run
    mkdir -p /mnt/root/run/ownerboot/state
    mount --move /mnt/state /mnt/root/run/ownerboot/state
}
