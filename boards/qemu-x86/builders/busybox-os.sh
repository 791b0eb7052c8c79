# os: an ext4 image made without mounting (mkfs.ext4 -d) from busybox of the pinned build
# environment and the board's init. Fixed UUID, hash seed and timestamps: same bytes every time.
# Inputs: /inputs/os-init.sh. Env: OS_UUID, OS_SIZE. Output: /out/os.ext4.
stage=/tmp/root
mkdir -p $stage
cd $stage
# Created in sorted order on tmpfs so the directory order mkfs sees is the same everywhere.
for dir in bin dev etc mnt proc run sbin sys tmp; do mkdir $dir; done
cp /bin/busybox bin/busybox
for applet in sh cat echo mount umount poweroff ls; do ln -s busybox bin/$applet; done
cp /inputs/os-init.sh sbin/init
chmod 0755 sbin/init
printf 'NAME="ownerboot test OS"\nID=ownerboot\n' > etc/os-release
find . -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -d $stage -U "$OS_UUID" -E "hash_seed=$OS_UUID,root_owner=0:0" \
    -T default -b 4096 -I 256 -O ^has_journal,^metadata_csum_seed /out/os.ext4 "$OS_SIZE"
# mke2fs 1.47.0 stamps each inode's ctime/crtime with the wall clock: set every inode's
# times to SOURCE_DATE_EPOCH afterwards (debugfs edits the image without mounting it).
{ echo / ; echo /lost+found; find . -mindepth 1 | LC_ALL=C sort | sed 's|^\.||'; } | while read -r path; do
    for field in atime mtime ctime crtime; do echo "set_inode_field \"$path\" $field @$SOURCE_DATE_EPOCH"; done
done > /tmp/times.debugfs
debugfs -w -f /tmp/times.debugfs /out/os.ext4 >/dev/null 2>/tmp/debugfs.err || { cat /tmp/debugfs.err; exit 1; }
