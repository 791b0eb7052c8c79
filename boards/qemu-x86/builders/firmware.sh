# firmware: coreboot 4.15 from Debian's coreboot source package, for the board coreboot.config selects.
# Inputs: /inputs/coreboot (the source package files), /inputs/coreboot.config (Kconfig fragment),
# /inputs/*.patch (the board's hashed patches to coreboot, applied in name order; none is fine).
# Output: /out/coreboot.rom (the board's ROM size, no payload), /out/cbfstool, /out/config.
tar --no-same-owner -xf /inputs/coreboot/coreboot_*.orig.tar.xz
cd coreboot-*
for patch in /inputs/*.patch; do
    [ -e "$patch" ] || continue
    patch -p1 --forward --quiet < "$patch" || { echo "firmware: $patch does not apply to coreboot" >&2; exit 1; }
done
cp /inputs/coreboot.config .config
make olddefconfig >/dev/null
# BUILD_TIMELESS and a fixed KERNELVERSION keep dates and git state out of the ROM.
make -j"$JOBS" CONFIG_WARNINGS_ARE_ERRORS= BUILD_TIMELESS=1 KERNELVERSION="$KERNELVERSION" >/build/make.log 2>&1 || { tail -50 /build/make.log; exit 1; }
cp build/coreboot.rom /out/coreboot.rom
cp build/cbfstool /out/cbfstool
cp .config /out/config
