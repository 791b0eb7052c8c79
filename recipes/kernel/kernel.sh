# kernel: Linux 6.1 from Debian's linux-source-6.1 package, a minimal config for the board.
# Inputs: /inputs/linux (the .deb), /inputs/kernel.config (fragment on top of tinyconfig).
# Output: /out/bzImage, /out/config.
dpkg-deb --fsys-tarfile /inputs/linux/linux-source-*.deb | tar --no-same-owner -x --wildcards './usr/src/linux-source-*.tar.xz'
tar --no-same-owner -xf usr/src/linux-source-*.tar.xz
cd linux-source-*
# Fixed identity strings: the kernel embeds who/where/when it was built.
export KBUILD_BUILD_TIMESTAMP="@$SOURCE_DATE_EPOCH" KBUILD_BUILD_USER=ownerboot KBUILD_BUILD_HOST=ownerboot KBUILD_BUILD_VERSION=1
make -s ARCH=x86_64 tinyconfig
scripts/kconfig/merge_config.sh -m .config /inputs/kernel.config >/dev/null
make -s ARCH=x86_64 olddefconfig
# Every option the fragment asks for must have survived olddefconfig (a missing dependency
# silently drops it): fail loudly instead of shipping a kernel without dm-crypt.
missing=0
while IFS= read -r line; do
  case "$line" in CONFIG_*=*) grep -qx "$line" .config || { echo "kernel.config: $line was dropped by olddefconfig" >&2; missing=1; };; esac
done < /inputs/kernel.config
[ "$missing" = 0 ]
make ARCH=x86_64 -j"$JOBS" bzImage >/build/make.log 2>&1 || { tail -60 /build/make.log; exit 1; }
cp arch/x86/boot/bzImage /out/bzImage
cp .config /out/config
