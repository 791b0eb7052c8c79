# rom: the firmware with the kernel and unlocker as its Linux payload and the manifest as a
# raw CBFS file, using the cbfstool built from the same coreboot source.
# Inputs: /inputs/firmware, /inputs/kernel, /inputs/unlocker, optional /inputs/fallback (an
# earlier ROM whose write-protected half this one keeps). Env: BOARD, OWNERBOOT_CMDLINE,
# OWNERBOOT_MANIFEST (the manifest JSON). Output: /out/$BOARD.rom, /out/cmdline (the payload's
# kernel command line, without the half: what `payload` scenarios boot the kernel with).
cbfstool=/inputs/firmware/cbfstool
cp /inputs/firmware/coreboot.rom /build/rom
printf '%s' "$OWNERBOOT_MANIFEST" > /build/manifest.json
# payload REGION PREFIX HALF: the payload and the manifest of one set; the OS reads the half
# from the command line (ownerboot.half=), the unlocker re-arms the normal boot from it.
payload() {
    $cbfstool /build/rom add-payload ${1:+-r "$1"} -n "$2/payload" \
        -f /inputs/kernel/bzImage -I /inputs/unlocker/initramfs.cpio.* -C "$OWNERBOOT_CMDLINE${3:+ ownerboot.half=$3}"
    $cbfstool /build/rom add ${1:+-r "$1"} -n ownerboot/manifest -t raw -f /build/manifest.json
}
normal=$(sed -n 's/^CONFIG_CBFS_NORMAL_REGION="\(.*\)"$/\1/p' /inputs/firmware/config)
if [ -z "$normal" ]; then
    payload "" fallback ""
else
    payload "$normal" normal normal
    if [ -d /inputs/fallback ]; then
        # Everything outside the normal region (FMAP, bootblock, fallback set and its
        # manifest) is the earlier ROM's, byte for byte: what the chip's protected half holds.
        $cbfstool /build/rom read -r "$normal" -f /build/normal.bin
        cp /inputs/fallback/"$BOARD".rom /build/rom
        $cbfstool /build/rom write -F -r "$normal" -f /build/normal.bin
    else
        payload COREBOOT fallback fallback
    fi
fi
for region in $normal COREBOOT; do $cbfstool /build/rom print ${normal:+-r "$region"}; done
cp /build/rom "/out/$BOARD.rom"
printf '%s\n' "$OWNERBOOT_CMDLINE" >/out/cmdline
