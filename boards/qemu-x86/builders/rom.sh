# rom: the firmware with the kernel and unlocker as its Linux payload and the manifest as a
# raw CBFS file, using the cbfstool built from the same coreboot source.
# Inputs: /inputs/firmware, /inputs/kernel, /inputs/unlocker. Env: BOARD, OWNERBOOT_CMDLINE,
# OWNERBOOT_MANIFEST (the manifest JSON). Output: /out/$BOARD.rom.
cp /inputs/firmware/coreboot.rom /build/rom
/inputs/firmware/cbfstool /build/rom add-payload -n fallback/payload \
    -f /inputs/kernel/bzImage -I /inputs/unlocker/initramfs.cpio.* -C "$OWNERBOOT_CMDLINE"
printf '%s' "$OWNERBOOT_MANIFEST" > /build/manifest.json
/inputs/firmware/cbfstool /build/rom add -n ownerboot/manifest -t raw -f /build/manifest.json
/inputs/firmware/cbfstool /build/rom print
cp /build/rom "/out/$BOARD.rom"
