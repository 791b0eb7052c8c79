# firmware: coreboot 4.15 from Debian's coreboot source package, for the board coreboot.config selects.
# Inputs: /inputs/coreboot (the source package files), /inputs/coreboot.config (Kconfig fragment),
# optional board patches /inputs/NNNN-*.patch (applied in name order) and files the config names.
# Output: /out/coreboot.rom (the board's ROM size, no payload), /out/cbfstool, /out/config.
# A config with CONFIG_CBFS_NORMAL_REGION (normal/fallback, patches/0001) takes two builds sharing
# the fallback build's bootblock: the normal set is built into that FMAP region and copied into
# the fallback build's ROM, whose COREBOOT region (write-protected) holds the fallback set.
tar --no-same-owner -xf /inputs/coreboot/coreboot_*.orig.tar.xz
cd coreboot-*
for patch in /inputs/*.patch; do
    [ -e "$patch" ] || continue
    echo "firmware: applying $(basename "$patch")"
    patch -p1 -s --forward --no-backup-if-mismatch < "$patch" || { echo "firmware: $patch does not apply to coreboot" >&2; exit 1; }
done
cp /inputs/coreboot.config .config
make olddefconfig >/dev/null
# BUILD_TIMELESS and a fixed KERNELVERSION keep dates and git state out of the ROM.
build() {
    make -j"$JOBS" CONFIG_WARNINGS_ARE_ERRORS= BUILD_TIMELESS=1 KERNELVERSION="$KERNELVERSION" "$@" >/build/make.log 2>&1 || { tail -50 /build/make.log; exit 1; }
}
normal=$(sed -n 's/^CONFIG_CBFS_NORMAL_REGION="\(.*\)"$/\1/p' .config)
if [ -n "$normal" ]; then
    cp .config /build/fallback.config
    printf '%s\n' '# CONFIG_CBFS_PREFIX_FALLBACK is not set' CONFIG_CBFS_PREFIX_NORMAL=y \
        "CONFIG_CBFS_REGION_NAME=\"$normal\"" CONFIG_NORMAL_PAYLOAD_FAILURE_RESETS=y >> .config
    make olddefconfig >/dev/null
    # regions-for-file: coreboot's hook for placing every CBFS file (XIP romstage included) in a region.
    build regions-for-file="$normal"
    build/cbfstool build/coreboot.rom read -r "$normal" -f /build/normal.bin
    cp .config /out/config.normal
    rm -rf build
    cp /build/fallback.config .config
fi
build
if [ -n "$normal" ]; then
    # -F: the region is a CBFS; it is replaced whole by the normal build's.
    build/cbfstool build/coreboot.rom write -F -r "$normal" -f /build/normal.bin
fi
cp build/coreboot.rom /out/coreboot.rom
cp build/cbfstool /out/cbfstool
cp .config /out/config
